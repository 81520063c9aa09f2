using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Tunnels.Native;

namespace Patronus.Engine.Tests.Tunnels.Native;

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
        for (var i = 0; i < UdpSendBatch.Capacity; i++)
        {
            Assert.True(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[32]));
        }

        Assert.False(batch.TryAdd(sender, name.Buffer.Span[..name.Size], new byte[32]));
    }
}
