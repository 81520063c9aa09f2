using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Tests.Net;

// Real sockets on loopback: what a batch sends arrives as the same datagrams, in order, whether
// runs go as GSO messages (the kernel cuts them) or one datagram a message.
public class UdpSendBatchTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Flush_RunsAndSingles_EveryDatagramArrivesWhole(bool gso)
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveBufferSize = 4 << 20;
        receiver.ReceiveTimeout = 5000;
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.ReceiveTimeout = 5000;
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var batch = new UdpSendBatch(gso && UdpSendBatch.KernelHasGso(sender));
        var to = receiver.LocalEndPoint!.Serialize();
        var toOther = other.LocalEndPoint!.Serialize();

        // A run of ten 1,200-octet datagrams with a shorter last one, one to another socket, then a run of three.
        var expected = new List<byte[]>();
        for (var i = 0; i < 14; i++)
        {
            var datagram = new byte[i == 9 ? 700 : 1200];
            Array.Fill(datagram, (byte)i);
            var name = i == 10 ? toOther : to;
            Assert.True(batch.TryAdd(sender, name.Buffer.Span[..name.Size], datagram));
            if (i != 10)
            {
                expected.Add(datagram);
            }
        }

        Assert.Equal(0, batch.Flush(out _));
        Assert.Equal(0, batch.Count);

        var buffer = new byte[65_536];
        foreach (var datagram in expected)
        {
            var n = receiver.Receive(buffer);
            Assert.Equal(datagram, buffer.AsSpan(0, n).ToArray());
        }

        Assert.Equal(1200, other.Receive(buffer));
        Assert.True(buffer.AsSpan(0, 1200).IndexOfAnyExcept((byte)10) < 0);
    }

    [Fact]
    public void TryAdd_BatchFull_ReturnsFalse()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var batch = new UdpSendBatch(gso: false);
        var name = new IPEndPoint(IPAddress.Loopback, 9).Serialize();
        for (var i = 0; i < batch.Capacity; i++)
        {
            Assert.True(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[32]));
        }

        Assert.False(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[32]));
    }

    [Fact]
    public void Flush_OneDatagramRefused_ErrorNamesItAndTheRestArrive()
    {
        if (!UdpSendBatch.IsSupported)
        {
            return;
        }

        using var receiver = LoopbackReceiver();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var batch = new UdpSendBatch(gso: false, capacity: 8, slotSize: 64);
        var to = receiver.LocalEndPoint!.Serialize();

        // Linux refuses the broadcast address without SO_BROADCAST (EACCES): nothing leaves the box.
        var broadcast = new IPEndPoint(IPAddress.Broadcast, 862).Serialize();
        for (var i = 0; i < 5; i++)
        {
            var name = i == 2 ? broadcast : to;
            Assert.True(batch.TryAdd(sender, name.Buffer.Span[..name.Size], [(byte)i, 1, 2, 3]));
        }

        Assert.Equal(1, batch.Flush(out var errno));

        Assert.NotEqual(0, errno); // EACCES with a default route, ENETUNREACH without
        Assert.Equal([0, 0, errno, 0, 0], Enumerable.Range(0, 5).Select(batch.Error));
        Assert.Equal(3, batch.Calls); // sent up to the refused datagram, failed on it, then the rest
        var buffer = new byte[64];
        foreach (var expected in new byte[] { 0, 1, 3, 4 })
        {
            Assert.Equal(4, receiver.Receive(buffer));
            Assert.Equal(expected, buffer[0]);
        }
    }

    [Fact]
    public void Flush_DatagramWithItsOwnPktinfo_LeavesFromThatAddress()
    {
        if (!UdpSendBatch.IsSupported)
        {
            return;
        }

        using var receiver = LoopbackReceiver();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Any, 0));
        var batch = new UdpSendBatch(gso: false, capacity: 4, slotSize: 64);
        var to = receiver.LocalEndPoint!.Serialize();

        // cmsghdr { cmsg_len = 28, SOL_IP, IP_PKTINFO } + in_pktinfo { ifindex 0, spec_dst, addr }, padded to 32.
        var control = new byte[32];
        BitConverter.TryWriteBytes(control.AsSpan(0), 28UL);
        BitConverter.TryWriteBytes(control.AsSpan(8), 0);
        BitConverter.TryWriteBytes(control.AsSpan(12), 8);
        IPAddress.Parse("127.0.0.3").GetAddressBytes().CopyTo(control, 16 + 4);
        Assert.True(batch.TryAdd(sender, to.Buffer.Span[..to.Size], [1], control));
        Assert.True(batch.TryAdd(sender, to.Buffer.Span[..to.Size], [2]));

        Assert.Equal(0, batch.Flush(out _));

        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        Assert.Equal(1, receiver.ReceiveFrom(buffer, ref from));
        Assert.Equal(IPAddress.Parse("127.0.0.3"), ((IPEndPoint)from).Address);
        Assert.Equal(1, receiver.ReceiveFrom(buffer, ref from));
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)from).Address);
    }

    [Theory]
    [InlineData(13, SocketError.AccessDenied)]
    [InlineData(101, SocketError.NetworkUnreachable)]
    [InlineData(11, SocketError.WouldBlock)]
    [InlineData(105, SocketError.NoBufferSpaceAvailable)]
    [InlineData(9999, SocketError.SocketError)]
    public void ToSocketError_LinuxErrno_WhatDotNetsSendWouldThrow(int errno, SocketError expected) =>
        Assert.Equal(expected, UdpSendBatch.ToSocketError(errno));

    [Fact]
    public void TryAdd_DatagramOrControlTooLarge_ReturnsFalse()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var batch = new UdpSendBatch(gso: false, capacity: 4, slotSize: 44);
        var name = new IPEndPoint(IPAddress.Loopback, 9).Serialize();

        Assert.False(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[45]));
        Assert.False(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[44], new byte[UdpSendBatch.MaxControl + 1]));
        Assert.True(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[44]));
        Assert.Equal(1, batch.Count);
    }

    private static Socket LoopbackReceiver()
    {
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 5000;
        return receiver;
    }
}
