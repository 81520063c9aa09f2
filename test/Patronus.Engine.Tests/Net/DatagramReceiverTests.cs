using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Net;

/// <summary>The shared receive loop on real loopback sockets, in both of its reading modes.</summary>
public sealed class DatagramReceiverTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Start_ReadAncillary_HandsOverSourceAndTtlAndRepliesFromTheAddressAsked()
    {
        var handler = new RecordingHandler { Echo = true };
        await using var receiver = Start(IPAddress.Any, handler, new DatagramReceiverOptions(64, ReadAncillary: true));
        Assert.True(receiver.ReadsAncillary);

        // Asked on 127.0.0.2 of a socket bound to the wildcard: the connected client accepts
        // the reply only if it comes from 127.0.0.2.
        var asked = new IPEndPoint(IPAddress.Parse("127.0.0.2"), ((IPEndPoint)receiver.Socket.LocalEndPoint!).Port);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Ttl = 42 };
        client.Connect(asked);
        client.Send("hello"u8);

        var reply = new byte[16];
        using var cts = new CancellationTokenSource(s_deadline);
        var n = await client.ReceiveAsync(reply, SocketFlags.None, cts.Token);
        Assert.Equal("hello"u8.ToArray(), reply[..n]);
        var seen = Assert.Single(handler.Datagrams);
        Assert.Equal(42, seen.Ttl);
        Assert.Equal(client.LocalEndPoint, seen.Source);
        Assert.False(seen.Truncated);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Start_DatagramLongerThanMax_HandedOverTruncated(bool readAncillary, bool batchReceive)
    {
        var handler = new RecordingHandler();
        await using var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(8, readAncillary, batchReceive));
        using var client = Connected(receiver);

        client.Send(new byte[8]);
        client.Send(new byte[9]);
        client.Send(new byte[1000]);

        await Poll.AssertAsync(() => handler.Datagrams.Count == 3, s_deadline, "three datagrams handed over");
        Assert.Equal([false, true, true], handler.Datagrams.Select(d => d.Truncated));
        Assert.Equal(readAncillary, receiver.ReadsAncillary);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task OnDatagram_Throws_ReportedAndTheLoopGoesOn(bool readAncillary, bool batchReceive)
    {
        var handler = new RecordingHandler { ThrowOnFirst = true };
        await using var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(64, readAncillary, batchReceive));
        using var client = Connected(receiver);

        client.Send("one"u8);
        client.Send("two"u8);

        await Poll.AssertAsync(() => handler.Datagrams.Count == 2, s_deadline, "both handed over");
        Assert.IsType<InvalidOperationException>(Assert.Single(handler.LoopErrors));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Drain_LoopHeld_ReadsWhatTheKernelHoldsOnTheCallersThread(bool batchReceive)
    {
        var handler = new RecordingHandler();
        await using var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(64, ReadAncillary: true, batchReceive));
        receiver.PausedForTest = true;

        // More than one batch (MaxBatch) if the kernel queues that many: 300 small datagrams need
        // ~250 KB of receive buffer, more than the usual default; as root it is forced.
        UdpReceiveBuffer.Request(receiver.Socket, 1 << 20, out var forced);
        var count = forced ? 301 : 101;
        using var client = Connected(receiver);

        client.Send("first"u8);
        await Poll.AssertAsync(() => receiver.Socket.Available > 0, s_deadline, "the first datagram queued");
        for (var i = 1; i < count; i++)
        {
            client.Send("more"u8);
        }

        await Poll.AssertAsync(
            () =>
            {
                handler.Draining = true;
                receiver.Drain();
                handler.Draining = false;
                return handler.Datagrams.Count == count;
            },
            s_deadline,
            $"all {count} read by Drain");
        Assert.All(handler.Datagrams, d => Assert.True(d.ByDrain));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReceivedAt_ReadLate_IsWhenTheKernelReceivedIt(bool batchReceive)
    {
        var handler = new RecordingHandler();
        await using var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(64, ReadAncillary: true, batchReceive));
        receiver.PausedForTest = true;
        using var client = Connected(receiver);
        var time = TimeProvider.System;

        var sent = time.GetTimestamp();
        client.Send("late"u8);

        // Seen waiting in the kernel (the receive loop is held, as a starved one would be), then read:
        // the datagram must be stamped before it was seen queued, not when it was read.
        long seenQueued = 0;
        await Poll.AssertAsync(
            () =>
            {
                seenQueued = time.GetTimestamp();
                return receiver.Socket.Available > 0;
            },
            s_deadline,
            "the datagram queued");
        receiver.Drain();

        var seen = Assert.Single(handler.Datagrams);
        Assert.True(seen.ReceivedAt <= seenQueued, $"stamped {time.GetElapsedTime(seenQueued, seen.ReceivedAt).TotalMilliseconds:0.000} ms after it was seen queued: the read time, not the arrival");
        Assert.True(time.GetElapsedTime(sent, seen.ReceivedAt) > TimeSpan.FromMilliseconds(-1), "stamped before it was sent");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task DisposeAsync_DuringAFlood_EndsWithinOneSecond(bool readAncillary, bool batchReceive)
    {
        var handler = new RecordingHandler { Keep = false };
        var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(64, readAncillary, batchReceive));
        using var flood = DatagramFlood.Udp((IPEndPoint)receiver.Socket.LocalEndPoint!, new byte[44]);
        await Poll.AssertAsync(() => handler.Count > 1_000, s_deadline, "the flood is being received");

        var stopping = Stopwatch.StartNew();
        await receiver.DisposeAsync().AsTask().WaitAsync(s_deadline);

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
        var handled = handler.Count;
        Assert.True(receiver.IsStopped);
        Assert.Equal(handled, handler.Count);
    }

    [Fact]
    public async Task Drain_BatchReceive_OneRecvmmsgPerBurstWithSourceAndTtlAndNoReply()
    {
        if (!LinuxReceiveBatch.IsSupported)
        {
            return;
        }

        var handler = new RecordingHandler { TryEcho = true };
        await using var receiver = Start(IPAddress.Loopback, handler, new DatagramReceiverOptions(64, ReadAncillary: true, BatchReceive: true));
        Assert.True(receiver.ReadsInBatches);
        receiver.PausedForTest = true;
        using var client = Connected(receiver);
        client.Ttl = 42;
        for (var i = 0; i < 10; i++)
        {
            client.Send([(byte)i]);
        }

        await Poll.AssertAsync(
            () =>
            {
                receiver.Drain();
                return handler.Datagrams.Count == 10;
            },
            s_deadline,
            "all 10 read by Drain");

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), handler.Datagrams.Select(d => d.Payload[0]));
        Assert.All(handler.Datagrams, d => Assert.Equal(42, d.Ttl));
        Assert.All(handler.Datagrams, d => Assert.Equal(client.LocalEndPoint, d.Source));
        Assert.InRange(handler.BatchEnds, 1, 10);          // one per drain that read something
        Assert.All(handler.ReplyErrors, e => Assert.Equal(95, e)); // EOPNOTSUPP: read with recvmmsg, no reply
        Assert.Equal(10, handler.ReplyErrors.Count);
    }

    private static DatagramReceiver Start(IPAddress address, RecordingHandler handler, DatagramReceiverOptions options)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.True(SocketBinding.TryBind(socket, new LocalBinding(AddressFamily.InterNetwork, ProtocolType.Udp, address, 0, null), out var failure), failure);
        return DatagramReceiver.Start(socket, handler, options, TimeProvider.System, out _);
    }

    private static Socket Connected(DatagramReceiver receiver)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(receiver.Socket.LocalEndPoint!);
        return client;
    }

    private sealed record Seen(byte[] Payload, EndPoint Source, byte Ttl, bool Truncated, bool ByDrain, long ReceivedAt);

    private sealed class RecordingHandler : IDatagramHandler
    {
        private long _count;
        private int _thrown;

        public bool Echo { get; init; }

        /// <summary>Try to reply and record the errno of each refusal.</summary>
        public bool TryEcho { get; init; }

        public ConcurrentQueue<int> ReplyErrors { get; } = new();

        public int BatchEnds => Volatile.Read(ref _batchEnds);

        private int _batchEnds;

        public bool ThrowOnFirst { get; init; }

        public bool Keep { get; init; } = true;

        public bool Draining { get; set; }

        public ConcurrentQueue<Seen> Datagrams { get; } = new();

        public ConcurrentQueue<Exception> LoopErrors { get; } = new();

        public long Count => Interlocked.Read(ref _count);

        public void OnDatagram(ref ReceivedDatagram datagram)
        {
            Interlocked.Increment(ref _count);
            if (Keep)
            {
                var address = new SocketAddress(AddressFamily.InterNetwork, datagram.Source.Length);
                datagram.Source.CopyTo(address.Buffer.Span);
                Datagrams.Enqueue(new Seen(datagram.Payload.ToArray(), new IPEndPoint(IPAddress.Any, 0).Create(address), datagram.Ttl, datagram.Truncated, Draining, datagram.ReceivedAt));
            }

            if (ThrowOnFirst && Interlocked.Exchange(ref _thrown, 1) == 0)
            {
                throw new InvalidOperationException("a handler bug");
            }

            if (Echo)
            {
                Assert.True(datagram.TryReply(datagram.Payload.Length, out var errno), $"errno {errno}");
            }

            if (TryEcho && !datagram.TryReply(datagram.Payload.Length, out var refused))
            {
                ReplyErrors.Enqueue(refused);
            }
        }

        public void OnBatchEnd() => Interlocked.Increment(ref _batchEnds);

        public void OnReceiveError(SocketException exception) => LoopErrors.Enqueue(exception);

        public void OnLoopError(Exception exception) => LoopErrors.Enqueue(exception);
    }
}
