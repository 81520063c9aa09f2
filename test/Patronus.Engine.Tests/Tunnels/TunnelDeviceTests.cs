using System.Net;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelDeviceTests
{
    private static readonly byte[] s_aToB = TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2");
    private static readonly byte[] s_bToA = TunnelDevicePair.Ipv4("10.250.0.2", "10.250.0.1", payload: 100);

    [Fact]
    public void OnTunPacket_NoSession_HandshakesThenDeliversBothWays()
    {
        using var pair = new TunnelDevicePair();

        pair.A.Device.OnTunPacket(s_aToB);
        Assert.Single(pair.A.Outbox); // the initiation; the packet waits
        Assert.Equal(HandshakeInitiation.Size, pair.A.Outbox[0].Length);
        pair.Deliver();
        pair.B.Device.OnTunPacket(s_bToA);
        pair.Deliver();

        Assert.Equal(s_aToB, Assert.Single(pair.B.Tun));
        Assert.Equal(s_bToA, Assert.Single(pair.A.Tun));
        Assert.NotNull(pair.A.Peer.LastHandshake);
        Assert.NotNull(pair.B.Peer.LastHandshake);
        Assert.Equal(0, pair.A.Dropped() + pair.B.Dropped());
    }

    [Fact]
    public void TransportCounters_AfterExchange_ObservedPerPeer()
    {
        using var pair = new TunnelDevicePair();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.B.Device.OnTunPacket(s_bToA);
        pair.Deliver();

        Assert.Equal(2, pair.A.Observed("patronus.tunnel.sent_packets"));
        Assert.Equal(2, pair.B.Observed("patronus.tunnel.received_packets"));
        Assert.Equal(1, pair.A.Observed("patronus.tunnel.received_packets"));
        Assert.Equal(pair.A.Peer.SentBytes, pair.A.Observed("patronus.tunnel.sent_bytes"));
        Assert.Equal(pair.B.Peer.ReceivedBytes, pair.B.Observed("patronus.tunnel.received_bytes"));
        Assert.True(pair.A.Peer.SentBytes > 2 * s_aToB.Length);
    }

    [Fact]
    public void OnDatagram_HandshakeAccepted_CountedAsReceivedOnceAndReplayAsDrop()
    {
        using var pair = new TunnelDevicePair();
        pair.A.Device.OnTunPacket(s_aToB);
        var initiation = Assert.Single(pair.A.Outbox);

        pair.Deliver(); // the initiation to B, its response to A, A's staged packet to B

        Assert.Equal(1, pair.B.HandshakesReceived);
        Assert.Equal(1, pair.A.HandshakesReceived);
        pair.B.Device.OnDatagram(initiation, TunnelDevicePair.EndpointA);
        Assert.Equal(1, pair.B.HandshakesReceived);
        Assert.Equal(1, pair.B.Dropped("handshake_replay"));
    }

    [Fact]
    public void OnTunPacket_Transport_PaddedToSixteenOctets()
    {
        using var pair = Established();

        pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2", payload: 1));

        // 21 octets of packet padded to 32, plus header and tag.
        Assert.Equal(TransportHeader.Size + 32 + 16, Assert.Single(pair.A.Outbox).Length);
    }

    [Fact]
    public void OnDatagram_ReplayedTransport_DroppedAsReplay()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        var datagram = Assert.Single(pair.A.Outbox);

        pair.Deliver();
        pair.B.Device.OnDatagram(datagram, TunnelDevicePair.EndpointA);

        Assert.Single(pair.B.Tun);
        Assert.Equal(1, pair.B.Dropped("replay"));
    }

    [Fact]
    public void OnDatagram_FlippedBitInPayload_DroppedAsDecryptFailed()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.A.Outbox[0][TransportHeader.Size + 3] ^= 1;

        pair.Deliver();

        Assert.Empty(pair.B.Tun);
        Assert.Equal(1, pair.B.Dropped("decrypt_failed"));
    }

    [Fact]
    public void OnDatagram_InnerSourceNotAllowed_DroppedByCryptokeyRouting()
    {
        using var pair = Established();

        pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.99", "10.250.0.2"));
        pair.Deliver();

        Assert.Empty(pair.B.Tun);
        Assert.Equal(1, pair.B.Dropped("source_not_allowed"));
    }

    [Fact]
    public void OnTunPacket_NoAllowedPrefix_DroppedAsNoRoute()
    {
        using var pair = Established();

        pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.3"));

        Assert.Empty(pair.A.Outbox);
        Assert.Equal(1, pair.A.Dropped("no_route"));
    }

    [Fact]
    public void Tick_InitiationUnanswered_RetriedAfterRekeyTimeoutThenGivesUpAfterAttemptTime()
    {
        using var pair = new TunnelDevicePair();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.A.Outbox.Clear(); // the network loses it

        pair.Time.Advance(TunnelTiming.RekeyTimeout - TimeSpan.FromMilliseconds(1));
        pair.A.Device.Tick();
        Assert.Empty(pair.A.Outbox);

        pair.Time.Advance(TunnelTiming.RekeyTimeoutJitter + TimeSpan.FromMilliseconds(1));
        pair.A.Device.Tick();
        Assert.Single(pair.A.Outbox);

        var retries = 1;
        for (var elapsed = TimeSpan.Zero; elapsed < TunnelTiming.RekeyAttemptTime + TunnelTiming.RekeyTimeout * 2; elapsed += TunnelTiming.TickInterval)
        {
            pair.A.Outbox.Clear();
            pair.Time.Advance(TunnelTiming.TickInterval);
            pair.A.Device.Tick();
            retries += pair.A.Outbox.Count;
        }

        // 90 s of retries every 5–5.33 s, then silence and the queued packet dropped.
        Assert.InRange(retries, 16, 18);
        Assert.Equal(1, pair.A.Dropped("handshake_timeout"));
    }

    [Fact]
    public void Tick_DataReceivedNothingSent_KeepaliveAfterKeepaliveTimeout()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();

        pair.Time.Advance(TunnelTiming.KeepaliveTimeout - TunnelTiming.TickInterval);
        pair.B.Device.Tick();
        Assert.Empty(pair.B.Outbox);
        pair.Time.Advance(TunnelTiming.TickInterval);
        pair.B.Device.Tick();

        var keepalive = Assert.Single(pair.B.Outbox);
        Assert.Equal(TransportHeader.MinimumMessageSize, keepalive.Length);
        pair.Deliver();
        Assert.Empty(pair.A.Tun);
        Assert.Equal(0, pair.A.Dropped());
    }

    [Fact]
    public void Tick_DataSentNoAnswer_NewHandshakeAfterFifteenSeconds()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.A.Outbox.Clear();

        pair.Time.Advance(TunnelTiming.NewHandshakeTimeout - TunnelTiming.TickInterval);
        pair.A.Device.Tick();
        Assert.Empty(pair.A.Outbox);
        pair.Time.Advance(TunnelTiming.TickInterval);
        pair.A.Device.Tick();

        Assert.Equal(HandshakeInitiation.Size, Assert.Single(pair.A.Outbox).Length);
    }

    [Fact]
    public void Tick_PersistentKeepalive_HandshakesWithoutTrafficThenKeepsAlive()
    {
        using var pair = new TunnelDevicePair(persistentKeepalive: 25);

        pair.Time.Advance(TimeSpan.FromSeconds(25));
        pair.A.Device.Tick();
        Assert.Equal(HandshakeInitiation.Size, Assert.Single(pair.A.Outbox).Length);
        pair.Deliver();
        Assert.NotNull(pair.B.Peer.LastHandshake);

        pair.Time.Advance(TimeSpan.FromSeconds(25) - TunnelTiming.TickInterval);
        pair.A.Device.Tick();
        Assert.Empty(pair.A.Outbox);
        pair.Time.Advance(TunnelTiming.TickInterval);
        pair.A.Device.Tick();
        Assert.Equal(TransportHeader.MinimumMessageSize, Assert.Single(pair.A.Outbox).Length);
    }

    [Fact]
    public void OnTunPacket_SessionOlderThanRekeyAfterTime_SendsAndStartsHandshake()
    {
        using var pair = Established();
        Idle(pair, TunnelTiming.RekeyAfterTime);

        pair.A.Device.OnTunPacket(s_aToB);

        Assert.Equal(2, pair.A.Outbox.Count);
        Assert.Equal(HandshakeInitiation.Size, pair.A.Outbox[1].Length);
        pair.Deliver();
        Assert.Single(pair.B.Tun);
    }

    [Fact]
    public void OnTunPacket_SessionOlderThanRejectAfterTime_QueuedUntilNewHandshake()
    {
        using var pair = Established();
        Idle(pair, TunnelTiming.RejectAfterTime);

        pair.A.Device.OnTunPacket(s_aToB);

        Assert.Equal(HandshakeInitiation.Size, Assert.Single(pair.A.Outbox).Length);
        pair.Deliver();
        Assert.Equal(s_aToB, Assert.Single(pair.B.Tun));
    }

    [Fact]
    public void OnDatagram_TransportOnExpiredSession_DroppedAsExpired()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        var old = pair.A.Outbox[0];
        pair.A.Outbox.Clear();
        pair.Time.Advance(TunnelTiming.RejectAfterTime);

        pair.B.Device.OnDatagram(old, TunnelDevicePair.EndpointA);

        Assert.Empty(pair.B.Tun);
        Assert.Equal(1, pair.B.Dropped("expired"));
    }

    [Fact]
    public void OnDatagram_ResponderWithoutEndpoint_LearnsItFromInitiator()
    {
        using var pair = new TunnelDevicePair(bKnowsA: false);
        Assert.Null(pair.B.Peer.CurrentEndpoint);

        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        pair.B.Device.OnTunPacket(s_bToA);
        pair.Deliver();

        Assert.Equal(TunnelDevicePair.EndpointA, pair.B.Peer.CurrentEndpoint);
        Assert.Single(pair.A.Tun);
    }

    [Fact]
    public void OnDatagram_RandomAndMutatedDatagrams_NeverThrowEachDroppedAndCounted()
    {
        using var pair = Established();
        pair.A.Device.OnTunPacket(s_aToB);
        var transport = pair.A.Outbox[0];
        pair.A.Outbox.Clear();
        var random = new Random(15);
        const int count = 5_000;
        for (var i = 0; i < count; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(0, 200)];
                random.NextBytes(datagram);
                if (datagram.Length >= 4)
                {
                    datagram[0] = (byte)random.Next(0, 6);
                    datagram[1] = datagram[2] = datagram[3] = 0;
                }
            }
            else
            {
                datagram = (byte[])transport.Clone();
                datagram[random.Next(datagram.Length)] ^= (byte)(1 << random.Next(8));
            }

            pair.B.Device.OnDatagram(datagram, TunnelDevicePair.EndpointA);
        }

        Assert.Empty(pair.B.Tun);
        Assert.Empty(pair.B.Outbox);
        Assert.Equal(count, pair.B.Dropped());
    }

    [Fact]
    public void OnTunPacket_PerPathPeer_LeavesOnTheSteeredPathAndMovesWithTheSteering()
    {
        var b2 = IPEndPoint.Parse("10.240.1.2:51820");
        using var pair = new TunnelDevicePair(configureA: p =>
        {
            p.Endpoint = null;
            p.Endpoints["p1"] = TunnelDevicePair.EndpointB.ToString();
            p.Endpoints["p2"] = b2.ToString();
        });
        var peer = pair.A.Peer;
        pair.A.Device.OnTunPacket(s_aToB);
        Assert.Empty(pair.A.Outbox); // no steering yet: nowhere to send
        Assert.Equal(1, pair.A.Dropped("no_endpoint"));

        peer.Steering = Steering(peer, down: null);
        pair.A.Device.OnTunPacket(s_aToB);
        Assert.Equal(("p1", 1), (pair.A.SentTo[0].PathId, pair.A.SentTo[0].Via)); // the initiation
        pair.Deliver();
        pair.A.Device.OnTunPacket(s_aToB);
        var onP1 = pair.A.SentTo.Single();
        pair.Deliver();

        peer.Steering = Steering(peer, down: "p1"); // a failover: the next packet moves, no handshake
        pair.A.Device.OnTunPacket(s_aToB);
        var onP2 = pair.A.SentTo.Single();
        pair.Deliver();

        Assert.Equal(("p1", 1), (onP1.PathId, onP1.Via));
        Assert.Equal(("p2", 2, b2), (onP2.PathId, onP2.Via, onP2.Address));
        Assert.Equal(3, pair.B.Tun.Count);
        Assert.Equal(1, peer.PathSwitches);
        var snapshot = peer.Snapshot();
        Assert.Equal("p2", snapshot.ActivePathId);
        Assert.Equal(1, snapshot.Paths.Single(p => p.PathId == "p2").Traffic.SentPackets);
        Assert.True(snapshot.Paths.Single(p => p.PathId == "p1").Traffic.SentPackets >= 2);
    }

    [Fact]
    public void OnDatagram_PerPathPeerFromAnotherAddress_AcceptedWithoutMovingItsPath()
    {
        using var pair = new TunnelDevicePair(configureA: p =>
        {
            p.Endpoint = null;
            p.Endpoints["p1"] = TunnelDevicePair.EndpointB.ToString();
        });
        pair.A.Peer.Steering = Steering(pair.A.Peer, down: null);
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        pair.B.Device.OnTunPacket(s_bToA);
        var datagram = Assert.Single(pair.B.Outbox);
        pair.B.Outbox.Clear();

        // B's packet arrives from an address that is none of its endpoints, on A's socket 2.
        pair.A.Device.OnDatagram(datagram, new TunnelEndpoint(IPEndPoint.Parse("10.240.9.9:4000"), via: 2));
        pair.A.Device.OnTunPacket(s_aToB);

        Assert.Equal(s_bToA, Assert.Single(pair.A.Tun));
        Assert.Equal("p1", pair.A.SentTo.Single().PathId);
        Assert.Equal(IPEndPoint.Parse("10.240.9.9:4000"), pair.A.Peer.Snapshot().LastSource);
    }

    [Fact]
    public void OnDatagram_TunWriteFails_DroppedAsTunWriteFailed()
    {
        using var pair = Established();
        pair.B.TunAccepts = false;

        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();

        Assert.Equal(1, pair.B.Dropped("tun_write_failed"));
        Assert.Equal(1, pair.B.Device.Drops()[TunnelDropReason.TunWriteFailed]);
        Assert.Equal(1, pair.B.Peer.Snapshot().Drops[TunnelDropReason.TunWriteFailed]);
    }

    // p1 over link wan1 (socket 1, cost 10), p2 over wan2 (socket 2, cost 20); `down` is Down (TunnelDevicePatronusTests too).
    internal static TunnelSteering Steering(TunnelPeer peer, string? down, TunnelClassInputs? classes = null)
    {
        var topology = new TopologySnapshot(
            [new Site("a", "a", null, ItemSource.Config)],
            [
                new WanLink("wan1", "a", "wan1", "wan1", null, null, 10, ItemSource.Config),
                new WanLink("wan2", "a", "wan2", "wan2", null, null, 20, ItemSource.Config),
            ],
            [
                new PathDefinition("p1", "p1", "wan1", null, ["10.240.0.2"], ItemSource.Config),
                new PathDefinition("p2", "p2", "wan2", null, ["10.240.1.2"], ItemSource.Config),
            ]);
        return TunnelSteering.Build(
            peer.PathEndpoints, topology, id => id == down ? PathStatus.Down : PathStatus.Up, RouteTable.Empty,
            (link, _) => link.Id == "wan1" ? 1 : 2, peer.Steering, classes);
    }

    private static TunnelDevicePair Established()
    {
        var pair = new TunnelDevicePair();
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        pair.A.Tun.Clear();
        pair.B.Tun.Clear();
        return pair;
    }

    // Advances time by `span` in 5 s steps, running both sides' timers and delivering what they send
    // (B's keepalive answers A's last packet), then forgets what was sent and received.
    private static void Idle(TunnelDevicePair pair, TimeSpan span)
    {
        for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromSeconds(5))
        {
            pair.Time.Advance(TimeSpan.FromSeconds(5));
            pair.A.Device.Tick();
            pair.B.Device.Tick();
            pair.Deliver();
        }

        pair.A.Outbox.Clear();
        pair.B.Outbox.Clear();
        pair.A.Tun.Clear();
        pair.B.Tun.Clear();
    }
}
