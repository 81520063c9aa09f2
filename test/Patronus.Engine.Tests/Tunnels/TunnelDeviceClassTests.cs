using System.Net;
using Patronus.Engine.Failover;
using Patronus.Engine.Routing;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels;

/// <summary>
/// Traffic classes in the data plane (issue 16): a class policy steers only its class's packets,
/// every packet is counted per class and path on both sides, and <c>on-sla-breach</c>
/// duplication follows the steering loop's verdict for the peer.
/// </summary>
public class TunnelDeviceClassTests
{
    private static readonly TunnelEndpoint s_fromP1 = new(TunnelDevicePair.EndpointA, via: 1);
    private static readonly TunnelEndpoint s_fromP2 = new(TunnelDevicePair.EndpointA, via: 2);

    [Fact]
    public void OnTunPacket_ClassPolicyOnP2_VoiceLeavesOnP2BulkStaysOnP1_CountedPerClassAndPath()
    {
        var classes = Classes("off");
        using var pair = PerPath(classes);
        pair.A.Peer.Steering = Steering(pair.A.Peer, classes, voiceOn: "p2");

        pair.A.Device.OnTunPacket(Udp(16000));
        pair.A.Device.OnTunPacket(Udp(80));
        pair.A.Device.OnTunPacket(Udp(16001));

        Assert.Equal([2, 1, 2], pair.A.SentTo.Select(e => e.Via));
        pair.B.Device.OnDatagram(pair.A.Outbox[0], s_fromP2);
        pair.B.Device.OnDatagram(pair.A.Outbox[1], s_fromP1);
        pair.B.Device.OnDatagram(pair.A.Outbox[2], s_fromP2);
        Assert.Equal(3, pair.B.Tun.Count);

        var a = pair.A.Peer.Snapshot().Classes.ToDictionary(c => c.Class);
        Assert.Equal((2L, 2L * 180), (Path(a["voice"], "p2").SentPackets, Path(a["voice"], "p2").SentBytes));
        Assert.Equal(0, Path(a["voice"], "p1").SentPackets);
        Assert.Equal("p2", a["voice"].ActivePathId);
        Assert.Equal((2L, 0L), (Path(a["bulk"], "p1").SentPackets, Path(a["bulk"], "p2").SentPackets)); // and the handshake's staged packet
        Assert.Equal("p1", a["bulk"].ActivePathId);
        Assert.Null(a["default"].ActivePathId); // nothing fell through
        Assert.Equal((2L, 1L), (a["voice"].Flows, a["bulk"].Flows)); // 5004→16000, 5004→16001; 5004→80 twice

        var b = pair.B.Peer.Snapshot().Classes.ToDictionary(c => c.Class);
        Assert.Equal((2L, 0L), (Path(b["voice"], "p2").ReceivedPackets, Path(b["voice"], "p1").ReceivedPackets));
        Assert.Equal(1, Path(b["bulk"], "p1").ReceivedPackets);
    }

    [Fact]
    public void OnTunPacket_OnSlaBreach_DuplicatedFromTheBreachUntilTheHoldHasPassedClean()
    {
        using var pair = PerPath(Classes("on-sla-breach"));
        var state = pair.A.Peer.Classes!;
        var frequency = pair.Time.TimestampFrequency;

        Assert.Single(Send(pair, 16000)); // no verdict yet: one copy
        state.EvaluateDuplication(c => c.Name == "voice", pair.Time.GetTimestamp(), frequency);
        Assert.Equal([1, 2], Send(pair, 16000).Select(e => e.Via));
        Assert.Single(Send(pair, 80)); // bulk is not voice
        Assert.True(pair.A.Peer.Snapshot().Classes.Single(c => c.Class == "voice").DuplicationActive);

        // Clean again: the hold (30 s) keeps the copies coming, then they stop.
        var due = state.EvaluateDuplication(_ => false, pair.Time.GetTimestamp(), frequency);
        Assert.Equal(pair.Time.GetTimestamp() + (30 * frequency), due);
        pair.Time.Advance(TimeSpan.FromSeconds(29));
        state.EvaluateDuplication(_ => false, pair.Time.GetTimestamp(), frequency);
        Assert.Equal(2, Send(pair, 16000).Count);
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(state.EvaluateDuplication(_ => false, pair.Time.GetTimestamp(), frequency));
        Assert.Single(Send(pair, 16000));
        Assert.False(pair.A.Peer.Snapshot().Classes.Single(c => c.Class == "voice").DuplicationActive);
    }

    [Fact]
    public void OnTunPacket_NoClassesConfigured_NoClassCountersNoClassification()
    {
        using var pair = PerPath(null);

        pair.A.Device.OnTunPacket(Udp(16000));

        Assert.Empty(pair.A.Peer.Snapshot().Classes);
        Assert.Null(pair.A.Peer.Classes);
    }

    private static List<TunnelEndpoint> Send(TunnelDevicePair pair, int port)
    {
        pair.A.SentTo.Clear();
        pair.A.Device.OnTunPacket(Udp(port));
        var sent = pair.A.SentTo.ToList();
        pair.Deliver();
        return sent;
    }

    private static TunnelClassPathSnapshot Path(TunnelClassSnapshot c, string pathId) => c.Paths.Single(p => p.PathId == pathId);

    // voice = UDP 10000–20000, bulk = the rest.
    private static TrafficClassifier Classes(string duplication) => TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice",
            Match = [new TrafficMatchOptions { Protocol = "udp", Ports = ["10000-20000"] }],
            Sla = new TrafficSlaOptions { MaxLossPercent = 1 },
            Duplication = duplication,
        },
        new TrafficClassOptions { Name = "bulk" },
    ]);

    // A's steering (TunnelDeviceTests') with a class policy holding B's addresses on `voiceOn` for voice; the rest on p1.
    private static TunnelSteering Steering(TunnelPeer peer, TrafficClassifier classes, string voiceOn)
    {
        var voice = new ClassRouteTables(new Dictionary<string, RouteTable>
        {
            ["voice"] = new([new RouteEntry(IPNetwork.Parse("10.250.0.0/24"), "2", voiceOn, "wan", null, null)]),
        });
        return TunnelDeviceTests.Steering(peer, down: null, new TunnelClassInputs(classes.Classes, voice, (_, _) => true));
    }

    private static byte[] Udp(int port) => TunnelDeviceDuplicationTests.Udp(port);

    private static TunnelDevicePair PerPath(TrafficClassifier? classes) => TunnelDeviceDuplicationTests.PerPath(classes);
}
