using System.Buffers.Binary;
using System.Net;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels;

/// <summary>
/// Packet duplication in the data plane (issue 16 item 5): a class with <c>Duplication: always</c>
/// goes on both paths of a Patronus peer with one packet sequence; the receiver delivers the first
/// copy and counts the other as <c>duplicates_dropped</c>.
/// </summary>
public class TunnelDeviceDuplicationTests
{
    private static readonly TunnelEndpoint s_fromP1 = new(TunnelDevicePair.EndpointA, via: 1);
    private static readonly TunnelEndpoint s_fromP2 = new(TunnelDevicePair.EndpointA, via: 2);

    [Fact]
    public void OnTunPacket_VoiceClassAlways_OneCopyOnEachPathOneDeliveredOtherCounted()
    {
        using var pair = PerPath(Voice("always"));

        pair.A.Device.OnTunPacket(Udp(16000));

        Assert.Equal([1, 2], pair.A.SentTo.Select(e => e.Via));
        Assert.Equal(["p1", "p2"], pair.A.SentTo.Select(e => e.PathId));
        var (first, second) = (pair.A.Outbox[0], pair.A.Outbox[1]);
        pair.B.Device.OnDatagram(first, s_fromP1);
        pair.B.Device.OnDatagram(second, s_fromP2);
        Assert.Equal(Udp(16000), Assert.Single(pair.B.Tun));
        var a = pair.A.Peer.Snapshot();
        var b = pair.B.Peer.Snapshot();
        Assert.Equal((1L, 0L), (a.DuplicatedPackets, a.DuplicatesDropped));
        Assert.Equal((0L, 1L, 0L), (b.DuplicatedPackets, b.DuplicatesDropped, b.DuplicatesTooOld));
        Assert.Equal("p1", a.LastPathId); // the partner copy is no path switch
        Assert.Equal(0, a.PathSwitches);
        Assert.Equal(0, pair.B.Dropped());

        // Each copy is its own data message on its path: both paths' passive measurement sees it.
        Assert.Equal(1 + 1, b.Paths.Single(p => p.PathId == "p1").Passive!.Received); // and the handshake's staged packet
        Assert.Equal(1, b.Paths.Single(p => p.PathId == "p2").Passive!.Received);
    }

    [Fact]
    public void OnDatagram_OneCopyOfEveryOtherPacketLostOnEachPath_EveryPacketDeliveredOnce()
    {
        using var pair = PerPath(Voice("always"));
        for (var i = 0; i < 100; i++)
        {
            pair.A.Device.OnTunPacket(Udp(10000 + i));
            var (p1, p2) = (pair.A.Outbox[0], pair.A.Outbox[1]);
            pair.A.Outbox.Clear();
            switch (i % 4)
            {
                case 0: // p1 loses it
                    pair.B.Device.OnDatagram(p2, s_fromP2);
                    break;
                case 1: // p2 loses it
                    pair.B.Device.OnDatagram(p1, s_fromP1);
                    break;
                case 2: // p2's copy is first
                    pair.B.Device.OnDatagram(p2, s_fromP2);
                    pair.B.Device.OnDatagram(p1, s_fromP1);
                    break;
                default:
                    pair.B.Device.OnDatagram(p1, s_fromP1);
                    pair.B.Device.OnDatagram(p2, s_fromP2);
                    break;
            }

            pair.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => 10000 + i), pair.B.Tun.Select(DestinationPort));
        Assert.Equal(50, pair.B.Peer.Snapshot().DuplicatesDropped);
        Assert.Equal(100, pair.A.Peer.Snapshot().DuplicatedPackets);
    }

    [Theory]
    [InlineData("always", 80)] // not in the class
    [InlineData("off", 16000)] // in a class that does not duplicate
    [InlineData("on-sla-breach", 16000)] // no breach: the SLA has not been broken
    [InlineData(null, 16000)] // no classes at all
    public void OnTunPacket_NotDuplicated_OneDatagramOnTheSteeredPath(string? duplication, int port)
    {
        using var pair = PerPath(duplication is null ? null : Voice(duplication));

        pair.A.Device.OnTunPacket(Udp(port));

        Assert.Equal(1, Assert.Single(pair.A.SentTo).Via);
        pair.Deliver();
        Assert.Single(pair.B.Tun);
        Assert.Equal(0, pair.A.Peer.Snapshot().DuplicatedPackets);
    }

    [Fact]
    public void OnTunPacket_PeerWithOnePath_SentOnceEvenInAnAlwaysClass()
    {
        var classes = Voice("always");
        using var pair = new TunnelDevicePair(configureA: p => p.Patronus = true, configureB: p => p.Patronus = true, classes: classes);
        pair.A.Device.OnTunPacket(Udp(16000));
        pair.Deliver();
        pair.A.Outbox.Clear();

        pair.A.Device.OnTunPacket(Udp(16000));

        Assert.Single(pair.A.Outbox);
        Assert.Equal(0, pair.A.Peer.Snapshot().DuplicatedPackets);
    }

    [Fact]
    public void OnDatagram_NewSession_PacketSequenceStartsAgainAndIsStillDelivered()
    {
        using var pair = PerPath(Voice("always"));
        for (var i = 0; i < 5; i++)
        {
            pair.A.Device.OnTunPacket(Udp(12000));
            pair.Deliver();
        }

        // A rekey: a new session numbers from 1 again; B's filter of the new session starts clean.
        pair.Time.Advance(TunnelTiming.RekeyAfterTime + TimeSpan.FromSeconds(1));
        pair.A.Device.OnTunPacket(Udp(12000));
        pair.Deliver();
        pair.B.Tun.Clear();
        for (var i = 0; i < 3; i++)
        {
            pair.A.Device.OnTunPacket(Udp(12000));
            pair.Deliver();
        }

        Assert.Equal(3, pair.B.Tun.Count);
        Assert.True(pair.A.Peer.Snapshot().Drops.Count == 0 && pair.B.Dropped() == 0);
    }

    private static TrafficClassifier Voice(string duplication) => TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice",
            Match = [new TrafficMatchOptions { Protocol = "udp", Ports = ["10000-20000"] }],
            Sla = new TrafficSlaOptions { MaxLossPercent = 1 },
            Duplication = duplication,
        },
    ]);

    // An IPv4/UDP packet from A to B (180 octets) from port 5004 to `port`.
    internal static byte[] Udp(int port)
    {
        var packet = TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2", payload: 160);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 5004);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)port);
        return packet;
    }

    private static int DestinationPort(byte[] packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(22));

    // Both Patronus, endpoints on p1 (socket 1) and p2 (socket 2), steering on p1, counts from 0.
    internal static TunnelDevicePair PerPath(TrafficClassifier? classes)
    {
        static void Paths(TunnelPeerOptions p, IPEndPoint first)
        {
            p.Patronus = true;
            p.Endpoint = null;
            p.Endpoints["p1"] = first.ToString();
            p.Endpoints["p2"] = "10.240.1.9:51820";
        }

        var pair = new TunnelDevicePair(
            configureA: p => Paths(p, TunnelDevicePair.EndpointB), configureB: p => Paths(p, TunnelDevicePair.EndpointA), classes: classes);
        pair.A.Peer.Steering = TunnelDeviceTests.Steering(pair.A.Peer, down: null);
        pair.B.Peer.Steering = TunnelDeviceTests.Steering(pair.B.Peer, down: null);
        pair.A.Device.OnTunPacket(Udp(80));
        pair.Deliver();
        pair.B.Tun.Clear();
        pair.A.Outbox.Clear();
        pair.A.SentTo.Clear();
        pair.B.Outbox.Clear();
        return pair;
    }
}
