using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Tests.Net;

/// <summary>A real io_uring sending on real UDP sockets on loopback, and the per-packet path without it.</summary>
public sealed class IoUringSendBatchTests : IDisposable
{
    private const int Ebadf = 9;
    private const int Edestaddrreq = 89;
    private const int Emsgsize = 90;

    private readonly List<Socket> _sockets = [];
    private readonly List<(int State, int Errno, byte[] Packet)> _completions = [];

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public void Flush_ManySockets_OneSubmitDeliversEveryDatagramFromItsOwnSocket()
    {
        const int n = 64;
        using var batch = IoUring(capacity: n);
        var pairs = Enumerable.Range(0, n).Select(_ => ConnectedPair()).ToList();

        for (var i = 0; i < n; i++)
        {
            batch.Send(pairs[i].Sender.SafeHandle, Packet(i), i);
        }

        // Queued, not sent: nothing reaches any receiver before the flush.
        Assert.Equal(n, batch.Queued);
        Assert.Empty(_completions);
        Assert.All(pairs, p => Assert.Equal(0, p.Receiver.Available));

        Assert.Equal(n, batch.Flush());

        Assert.Equal(0, batch.Queued);
        Assert.Equal(Enumerable.Range(0, n), _completions.Select(c => c.State).Order());
        Assert.All(_completions, c => Assert.Equal(0, c.Errno));
        for (var i = 0; i < n; i++)
        {
            var (sender, receiver) = pairs[i];
            var buffer = new byte[64];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var length = receiver.ReceiveFrom(buffer, ref from);
            Assert.Equal(Packet(i), buffer[..length]);
            Assert.Equal(((IPEndPoint)sender.LocalEndPoint!).Port, ((IPEndPoint)from).Port);
            Assert.Equal(0, receiver.Available); // exactly one datagram each
        }
    }

    [Fact]
    public void Flush_BadDescriptorAndUnconnectedSocket_FailOnlyTheirEntries()
    {
        using var batch = IoUring(capacity: 8);
        var first = ConnectedPair();
        var last = ConnectedPair();
        var unconnected = Track(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        unconnected.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var notOpen = new SafeSocketHandle(UnusedDescriptor(), ownsHandle: false);

        batch.Send(first.Sender.SafeHandle, Packet(0), 0);
        batch.Send(notOpen, Packet(1), 1);
        batch.Send(unconnected.SafeHandle, Packet(2), 2);
        batch.Send(last.Sender.SafeHandle, Packet(3), 3);
        Assert.Equal(4, batch.Flush());

        Assert.Equal(new[] { (0, 0), (1, Ebadf), (2, Edestaddrreq), (3, 0) }, _completions.Select(c => (c.State, c.Errno)).Order());
        Assert.Equal(Packet(1), _completions.Single(c => c.State == 1).Packet);
        Assert.Equal(Packet(0), ReceiveOne(first.Receiver));
        Assert.Equal(Packet(3), ReceiveOne(last.Receiver));
    }

    [Fact]
    public void Send_MoreThanCapacity_FlushesAsTheQueueFills_EveryPacketArrivesOnce()
    {
        using var batch = IoUring(capacity: 4);
        Assert.Equal(4, batch.Capacity);
        var pair = ConnectedPair();

        for (var i = 0; i < 10; i++)
        {
            batch.Send(pair.Sender.SafeHandle, Packet(i), i);
        }

        Assert.Equal(8, _completions.Count); // two full queues went when the 5th and 9th came
        Assert.Equal(2, batch.Queued);
        batch.Flush();

        Assert.Equal(Enumerable.Range(0, 10), _completions.Select(c => c.State));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Packet(i), ReceiveOne(pair.Receiver));
        }
    }

    [Fact]
    public void Send_ClosedSocketOrPacketTooLong_ReportedAtOnce_NothingQueued()
    {
        using var batch = IoUring(capacity: 4);
        var pair = ConnectedPair();
        var closed = Track(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var handle = closed.SafeHandle;
        closed.Dispose();

        batch.Send(handle, Packet(0), 0);
        batch.Send(pair.Sender.SafeHandle, new byte[65], 1);

        Assert.Equal(new[] { (0, Ebadf), (1, Emsgsize) }, _completions.Select(c => (c.State, c.Errno)));
        Assert.Equal(0, batch.Queued);
        Assert.Equal(0, batch.Flush());
    }

    [Fact]
    public void Flush_NothingQueued_NoSubmit_SlotsReusedAcrossManyFlushes()
    {
        using var batch = IoUring(capacity: 2);
        var pair = ConnectedPair();
        Assert.Equal(0, batch.Flush());

        // Far more packets than slots: each flush hands its slots back.
        for (var i = 0; i < 100; i++)
        {
            batch.Send(pair.Sender.SafeHandle, Packet(i), i);
            Assert.Equal(1, batch.Flush());
            Assert.Equal(Packet(i), ReceiveOne(pair.Receiver));
        }

        Assert.Equal(100, _completions.Count(c => c.Errno == 0));
    }

    [Fact]
    public void Fallback_IoUringOff_EachPacketSentAtOnceAndReported()
    {
        using var batch = IoUringSendBatch<int>.Create(4, 64, OnCompleted, useIoUring: false);
        Assert.False(batch.UsesIoUring);
        Assert.Equal("turned off", batch.FallbackReason);
        var pair = ConnectedPair();
        using var notOpen = new SafeSocketHandle(UnusedDescriptor(), ownsHandle: false);

        batch.Send(pair.Sender.SafeHandle, Packet(7), 7);
        Assert.Equal(new[] { (7, 0) }, _completions.Select(c => (c.State, c.Errno)));
        Assert.Equal(Packet(7), ReceiveOne(pair.Receiver)); // before any flush

        batch.Send(notOpen, Packet(8), 8);
        Assert.Equal((8, Ebadf), (_completions[^1].State, _completions[^1].Errno));
        Assert.Equal(0, batch.Queued);
        Assert.Equal(0, batch.Flush());
    }

    [Fact]
    public void Create_OnThisKernel_UsesIoUring()
    {
        // The machines this runs on have io_uring (Linux 6.x, kernel.io_uring_disabled = 0); a
        // build that silently fell back would lose the batching without anyone noticing.
        using var batch = IoUringSendBatch<int>.Create(4, 64, OnCompleted);
        Assert.True(batch.UsesIoUring, batch.FallbackReason);
        Assert.Null(batch.FallbackReason);
    }

    private IoUringSendBatch<int> IoUring(int capacity)
    {
        var batch = IoUringSendBatch<int>.Create(capacity, 64, OnCompleted);
        Assert.True(batch.UsesIoUring, batch.FallbackReason);
        return batch;
    }

    private void OnCompleted(int state, int errno, ReadOnlySpan<byte> packet) => _completions.Add((state, errno, packet.ToArray()));

    private static byte[] Packet(int i) => [.. "bfd-"u8, (byte)(i >> 8), (byte)i, .. Enumerable.Repeat((byte)i, i % 20)];

    private (Socket Sender, Socket Receiver) ConnectedPair()
    {
        var receiver = Track(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 5000;
        var sender = Track(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sender.Connect(receiver.LocalEndPoint!);
        return (sender, receiver);
    }

    private Socket Track(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    private static byte[] ReceiveOne(Socket receiver)
    {
        var buffer = new byte[64];
        var length = receiver.Receive(buffer);
        return buffer[..length];
    }

    // A descriptor number this process has not opened (well above anything the test host uses).
    private static IntPtr UnusedDescriptor()
    {
        for (var fd = 900_000; ; fd++)
        {
            if (!File.Exists($"/proc/self/fd/{fd}"))
            {
                return fd;
            }
        }
    }
}
