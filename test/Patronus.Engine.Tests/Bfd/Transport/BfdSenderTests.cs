using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Bfd.Transport;

namespace Patronus.Engine.Tests.Bfd.Transport;

/// <summary>A real sender on loopback.</summary>
public sealed class BfdSenderTests
{
    [Fact]
    public void TrySend_PeerPortClosed_EverySendGoesOut()
    {
        // A port nobody listens on: each packet draws an ICMP port unreachable, which a connected
        // socket reports on the following send. That send must still go (the peer may start any time).
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var sender = BfdSender.TryOpen(IPAddress.Loopback, new IPEndPoint(IPAddress.Loopback, closedPort), device: null, out var failure);
        Assert.True(sender is not null, failure);
        Assert.InRange(sender.SourcePort, BfdPorts.FirstSource, BfdPorts.LastSource);

        for (var i = 0; i < 5; i++)
        {
            Assert.True(sender.TrySend(new byte[24], out var error), $"send {i}: {error}");
        }
    }

    [Fact]
    public void TrySend_PeerListening_DatagramArrivesFromTheSourcePort()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveTimeout = 5000;
        using var sender = BfdSender.TryOpen(IPAddress.Loopback, (IPEndPoint)peer.LocalEndPoint!, device: null, out var failure);
        Assert.True(sender is not null, failure);

        Assert.True(sender.TrySend([1, 2, 3], out _));

        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var length = peer.ReceiveFrom(buffer, ref from);
        Assert.Equal(3, length);
        Assert.Equal(sender.SourcePort, ((IPEndPoint)from).Port);
    }
}
