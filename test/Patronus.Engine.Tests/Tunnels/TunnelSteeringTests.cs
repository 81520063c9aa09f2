using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;
using Patronus.Engine.Failover;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelSteeringTests
{
    private static readonly IPEndPoint s_b1 = IPEndPoint.Parse("192.0.2.21:51820");
    private static readonly IPEndPoint s_b2 = IPEndPoint.Parse("198.51.100.21:51820");

    private static readonly TopologySnapshot s_topology = new(
        [new Site("a", "a", null, ItemSource.Config)],
        [
            new WanLink("wan1", "a", "wan1", "wan1", "192.0.2.11", null, 10, ItemSource.Config),
            new WanLink("wan2", "a", "wan2", "wan2", "198.51.100.11", null, 20, ItemSource.Config),
        ],
        [
            new PathDefinition("p1", "p1", "wan1", null, ["192.0.2.21"], ItemSource.Config),
            new PathDefinition("p2", "p2", "wan2", null, ["198.51.100.21"], ItemSource.Config),
            new PathDefinition("elsewhere", "elsewhere", "wan1", null, ["203.0.113.1"], ItemSource.Config),
        ]);

    private static readonly KeyValuePair<string, IPEndPoint>[] s_paths = [new("p1", s_b1), new("p2", s_b2)];

    [Fact]
    public void Build_BothUpNoPolicy_LowestCostPathThroughItsLinkSocket()
    {
        var steering = Build(Up, RouteTable.Empty);

        Assert.Equal("p1", steering.Default?.PathId);
        Assert.Equal(s_b1, steering.Default?.Address);
        Assert.Equal(1, steering.Default?.Via); // wan1's socket
        Assert.Same(steering.Default, steering.For(Bytes("10.2.0.5")));
        Assert.Equal("p2", steering.PathsByVia[2]);
    }

    [Fact]
    public void Build_CheapestPathDown_NextHealthyPath()
    {
        var steering = Build(id => id == "p1" ? PathStatus.Down : PathStatus.Up, RouteTable.Empty);

        Assert.Equal("p2", steering.Default?.PathId);
        Assert.Equal(2, steering.Default?.Via);
    }

    [Fact]
    public void Build_PolicyActiveOnBackup_ItsPrefixOnTheBackupTheRestOnDefault()
    {
        var routes = new RouteTable([Route("10.2.0.0/24", "p2"), Route("10.9.0.0/16", "elsewhere")]);

        var steering = Build(Up, routes);

        Assert.Equal("p2", steering.For(Bytes("10.2.0.5"))?.PathId);
        Assert.Equal("p1", steering.For(Bytes("10.3.0.5"))?.PathId);
        Assert.Equal("p1", steering.For(Bytes("10.9.0.5"))?.PathId); // that policy's path is not this peer's
    }

    [Fact]
    public void Build_PathNotInTopology_Skipped()
    {
        var steering = TunnelSteering.Build([new("gone", s_b1), new("p2", s_b2)], s_topology, Up, RouteTable.Empty, Via, null);

        Assert.Equal("p2", steering.Default?.PathId);
        Assert.False(steering.Endpoints.ContainsKey("gone"));
    }

    [Fact]
    public void Build_AgainWithTheSameEndpoints_ReusesThem()
    {
        var first = Build(Up, RouteTable.Empty);

        var second = TunnelSteering.Build(s_paths, s_topology, id => id == "p1" ? PathStatus.Down : PathStatus.Up, RouteTable.Empty, Via, first);

        Assert.Same(first.Endpoints["p2"], second.Default);
    }

    [Fact]
    public void Build_HealthChangesRoutesSame_PolicyStillSteersItsPrefix()
    {
        var routes = new RouteTable([Route("10.2.0.0/24", "p2")]);
        var first = Build(Up, routes);

        var second = TunnelSteering.Build(s_paths, s_topology, id => id == "p1" ? PathStatus.Down : PathStatus.Up, routes, Via, first);
        var third = TunnelSteering.Build(s_paths, s_topology, Up, new RouteTable([Route("10.2.0.0/24", "p1")]), Via, second);

        Assert.Equal(("p2", "p2"), (second.For(Bytes("10.2.0.5"))?.PathId, second.Default?.PathId));
        Assert.Equal(("p1", "p1"), (third.For(Bytes("10.2.0.5"))?.PathId, third.Default?.PathId));
    }

    [Theory]
    [InlineData("Up", "Up", "p2", "p1")]
    [InlineData("Down", "Up", "p2", "p1")] // the partner of the healthy path is the dead one: the only other
    [InlineData("Up", "Down", "p2", "p1")]
    [InlineData("Degraded", null, "p2", "p1")]
    public void Build_TwoPaths_EachPartneredWithTheOther(string? p1, string? p2, string partnerOfP1, string partnerOfP2)
    {
        var status = new Dictionary<string, PathStatus?> { ["p1"] = Parse(p1), ["p2"] = Parse(p2) };

        var steering = Build(id => status[id], RouteTable.Empty);

        Assert.Equal((partnerOfP1, partnerOfP2), (steering.Partners["p1"].PathId, steering.Partners["p2"].PathId));
        Assert.Same(steering.Endpoints["p2"], steering.Partners["p1"]);

        static PathStatus? Parse(string? text) => text is null ? null : Enum.Parse<PathStatus>(text);
    }

    [Fact]
    public void Build_ThreePaths_PartnerIsTheBestOtherHealthyOne()
    {
        KeyValuePair<string, IPEndPoint>[] paths = [new("p1", s_b1), new("p2", s_b2), new("elsewhere", IPEndPoint.Parse("203.0.113.1:51820"))];

        // p2 (wan2, cost 20) is Down; "elsewhere" (wan1, cost 10) is Up: p1's partner is "elsewhere", not p2.
        var steering = TunnelSteering.Build(paths, s_topology, id => id == "p2" ? PathStatus.Down : PathStatus.Up, RouteTable.Empty, Via, null);

        Assert.Equal("elsewhere", steering.Partners["p1"].PathId);
        Assert.Equal("p1", steering.Partners["p2"].PathId);
        Assert.Equal("p1", steering.Partners["elsewhere"].PathId);
    }

    [Fact]
    public void Build_OnePath_NoPartner()
    {
        var steering = TunnelSteering.Build([new("p1", s_b1)], s_topology, Up, RouteTable.Empty, Via, null);

        Assert.Empty(steering.Partners);
    }

    [Fact]
    public void Build_ClassPolicyOnBackup_OnlyThatClassFollowsIt()
    {
        var classes = Classes(preferred: []);
        var classRoutes = new ClassRouteTables(new Dictionary<string, RouteTable> { ["voice"] = new([Route("10.2.0.0/24", "p2")]) });

        var steering = TunnelSteering.Build(s_paths, s_topology, Up, new RouteTable([Route("10.2.0.0/24", "p1")]), Via, null,
            new TunnelClassInputs(classes.Classes, classRoutes, (_, _) => true));

        Assert.Equal("p2", steering.For(Bytes("10.2.0.5"), classIndex: 0)?.PathId); // voice: its class policy
        Assert.Equal("p1", steering.For(Bytes("10.2.0.5"), classIndex: 1)?.PathId); // default class: the class-less policy
        Assert.Equal("p1", steering.For(Bytes("10.2.0.5"), classIndex: -1)?.PathId); // not classified
        Assert.Equal("p1", steering.For(Bytes("10.3.0.5"), classIndex: 0)?.PathId); // voice elsewhere: no class policy there, default path
    }

    [Theory]
    [InlineData(new[] { "p2", "p1" }, "", "p2")] // first preferred, meets the SLA
    [InlineData(new[] { "p2", "p1" }, "p2", "p1")] // first breaches: the next
    [InlineData(new[] { "p2" }, "p2", null)] // none meets it: today's choice
    [InlineData(new[] { "elsewhere", "p2" }, "", "p2")] // not one of the peer's paths
    public void Build_PreferredPaths_FirstMeetingTheSlaWhereNoClassPolicySteers(string[] preferred, string breaching, string? expected)
    {
        var classes = Classes(preferred);
        var steering = TunnelSteering.Build(s_paths, s_topology, Up, new RouteTable([Route("10.2.0.0/24", "p1")]), Via, null,
            new TunnelClassInputs(classes.Classes, ClassRouteTables.Empty, (id, _) => id != breaching));

        Assert.Equal(expected ?? "p1", steering.For(Bytes("10.2.0.5"), classIndex: 0)?.PathId);
        Assert.Equal(expected, steering.PreferredPathOf(0));
        Assert.Equal("p1", steering.For(Bytes("10.2.0.5"), classIndex: 1)?.PathId);
    }

    [Fact]
    public void Build_ClassPolicyAndPreferred_ClassPolicyWinsForItsPrefixes()
    {
        var classes = Classes(["p1"]);
        var classRoutes = new ClassRouteTables(new Dictionary<string, RouteTable> { ["voice"] = new([Route("10.2.0.0/24", "p2")]) });

        var steering = TunnelSteering.Build(s_paths, s_topology, Up, RouteTable.Empty, Via, null, new TunnelClassInputs(classes.Classes, classRoutes, (_, _) => true));

        Assert.Equal("p2", steering.For(Bytes("10.2.0.5"), 0)?.PathId);
        Assert.Equal("p1", steering.For(Bytes("10.7.0.5"), 0)?.PathId);
    }

    private static TrafficClassifier Classes(string[] preferred) => TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice",
            Match = [new TrafficMatchOptions { Protocol = "udp" }],
            Sla = new TrafficSlaOptions { MaxLossPercent = 1 },
            PreferredPaths = [.. preferred],
        },
    ]);

    private static TunnelSteering Build(Func<string, PathStatus?> health, RouteTable routes) =>
        TunnelSteering.Build(s_paths, s_topology, health, routes, Via, null);

    private static PathStatus? Up(string pathId) => PathStatus.Up;

    private static int Via(WanLink link, AddressFamily family) => link.Id == "wan1" ? 1 : 2;

    private static RouteEntry Route(string prefix, string pathId) => new(IPNetwork.Parse(prefix), "1", pathId, "wan", null, null);

    private static byte[] Bytes(string address) => IPAddress.Parse(address).GetAddressBytes();
}
