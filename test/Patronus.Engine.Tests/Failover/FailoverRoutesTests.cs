using System.Net;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// <see cref="FailoverRoutes"/> as tables. Topology: links wan1 (gateway 10.0.1.1, interface wan1),
/// wan2 (10.0.2.1, wan2), wan3 (no gateway: on-link, wan3), wan4 (10.0.4.1, no interface); paths
/// p1–p4 over them, p5 over a link that does not exist. Policy 1 steers 10.20.0.0/16 and
/// 10.21.0.0/16, policy 2 steers 10.30.0.0/16 (primary p1, backup p2 for both).
/// <para>A timeline is steps separated by <c>|</c>, each step the active paths (<c>1=p2 2=p1</c>);
/// each step's plan reads <c>prefix path via gateway dev interface</c>, routes joined by
/// <c>; </c>, <c>-</c> for no route, and <c>=</c> when the plan equals the table of the step
/// before (the loop swaps nothing and asks nothing of the kernel).</para>
/// </summary>
public sealed class FailoverRoutesTests
{
    private static readonly TopologySnapshot s_topology = new(
        [new Site("s", "s", null, ItemSource.Config)],
        [Link("wan1", "10.0.1.1", "wan1"), Link("wan2", "10.0.2.1", "wan2"), Link("wan3", null, "wan3"), Link("wan4", "10.0.4.1", null)],
        [Path("p1", "wan1"), Path("p2", "wan2"), Path("p3", "wan3"), Path("p4", "wan4"), Path("p5", "gone")]);

    private static readonly Dictionary<long, FailoverPolicy> s_policies = new()
    {
        [1] = Policy(1, "10.20.0.0/16", "10.21.0.0/16"),
        [2] = Policy(2, "10.30.0.0/16"),
    };

    [Theory]
    // Every prefix of the policy through the active path's link.
    [InlineData("1=p1", "10.20.0.0/16 p1 via 10.0.1.1 dev wan1; 10.21.0.0/16 p1 via 10.0.1.1 dev wan1")]
    [InlineData("1=p2", "10.20.0.0/16 p2 via 10.0.2.1 dev wan2; 10.21.0.0/16 p2 via 10.0.2.1 dev wan2")]
    // A link without a gateway: on-link; without an interface: the kernel resolves the gateway.
    [InlineData("2=p3", "10.30.0.0/16 p3 dev wan3")]
    [InlineData("2=p4", "10.30.0.0/16 p4 via 10.0.4.1")]
    // Active path or its link not in the topology (an edit in flight): the prefixes are withdrawn.
    [InlineData("1=p5", "-")]
    [InlineData("1=ghost 2=p2", "10.30.0.0/16 p2 via 10.0.2.1 dev wan2")]
    // Policies are planned independently.
    [InlineData("1=p2 2=p1", "10.20.0.0/16 p2 via 10.0.2.1 dev wan2; 10.21.0.0/16 p2 via 10.0.2.1 dev wan2; 10.30.0.0/16 p1 via 10.0.1.1 dev wan1")]
    [InlineData("", "-")]
    public void Plan_ActivePaths_OneRoutePerPrefixThroughTheActiveLink(string active, string expected) =>
        Assert.Equal(expected, Run(active));

    [Theory]
    // A flapping active path: every switch is a new plan, every repeat is no change at all.
    [InlineData("2=p1 | 2=p2 | 2=p1 | 2=p2",
        "10.30.0.0/16 p1 via 10.0.1.1 dev wan1 | 10.30.0.0/16 p2 via 10.0.2.1 dev wan2 | 10.30.0.0/16 p1 via 10.0.1.1 dev wan1 | 10.30.0.0/16 p2 via 10.0.2.1 dev wan2")]
    [InlineData("2=p1 | 2=p1 | 2=p2 | 2=p2 | 2=p1",
        "10.30.0.0/16 p1 via 10.0.1.1 dev wan1 | = | 10.30.0.0/16 p2 via 10.0.2.1 dev wan2 | = | 10.30.0.0/16 p1 via 10.0.1.1 dev wan1")]
    // One policy flaps, the other stays: the table changes, the steady policy's route does not.
    [InlineData("1=p1 2=p1 | 1=p1 2=p2 | 2=p2 1=p1 | 1=p1 2=p1",
        "10.20.0.0/16 p1 via 10.0.1.1 dev wan1; 10.21.0.0/16 p1 via 10.0.1.1 dev wan1; 10.30.0.0/16 p1 via 10.0.1.1 dev wan1 | " +
        "10.20.0.0/16 p1 via 10.0.1.1 dev wan1; 10.21.0.0/16 p1 via 10.0.1.1 dev wan1; 10.30.0.0/16 p2 via 10.0.2.1 dev wan2 | = | " +
        "10.20.0.0/16 p1 via 10.0.1.1 dev wan1; 10.21.0.0/16 p1 via 10.0.1.1 dev wan1; 10.30.0.0/16 p1 via 10.0.1.1 dev wan1")]
    // Flapping onto a path whose link is gone and back: withdrawn, then restored.
    [InlineData("2=p1 | 2=p5 | 2=p5 | 2=p1", "10.30.0.0/16 p1 via 10.0.1.1 dev wan1 | - | = | 10.30.0.0/16 p1 via 10.0.1.1 dev wan1")]
    public void Plan_Timeline_ChangesOnlyWhenAnActivePathDoes(string timeline, string expected) =>
        Assert.Equal(expected, Run(timeline));

    [Fact]
    public void Same_SameActivePathNewGateway_IsAChange()
    {
        var before = new RouteTable(FailoverRoutes.Plan([(s_policies[2], "p1")], s_topology));
        var moved = new TopologySnapshot(s_topology.Sites, [.. s_topology.Links.Select(l => l.Id == "wan1" ? l with { Gateway = "10.0.1.9" } : l)], s_topology.Paths);

        var after = FailoverRoutes.Plan([(s_policies[2], "p1")], moved);

        Assert.False(FailoverRoutes.Same(before, after));
        Assert.Equal(IPAddress.Parse("10.0.1.9"), Assert.Single(after).Gateway);
    }

    [Fact]
    public void Same_OrderDoesNotMatter()
    {
        var routes = FailoverRoutes.Plan([(s_policies[1], "p1"), (s_policies[2], "p2")], s_topology);

        Assert.True(FailoverRoutes.Same(new RouteTable(routes.Reverse()), routes));
        Assert.False(FailoverRoutes.Same(new RouteTable(routes.Skip(1)), routes));
    }

    private static string Run(string timeline)
    {
        var steps = new List<string>();
        var table = RouteTable.Empty;
        foreach (var step in timeline.Split('|', StringSplitOptions.TrimEntries))
        {
            var active = step.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(token => token.Split('='))
                .Select(t => (s_policies[long.Parse(t[0], System.Globalization.CultureInfo.InvariantCulture)], t[1]));
            var plan = FailoverRoutes.Plan(active, s_topology);
            if (steps.Count > 0 && FailoverRoutes.Same(table, plan))
            {
                steps.Add("=");
                continue;
            }

            table = new RouteTable(plan);
            steps.Add(plan.Count == 0 ? "-" : string.Join("; ", plan.Select(Format).Order(StringComparer.Ordinal)));
        }

        return string.Join(" | ", steps);
    }

    [Theory]
    // Carried: 10.20.0.0/16 by a tunnel. Each row: the prefixes carried, what the kernel gets, what is left to the carrier.
    [InlineData("", "10.20.0.0/16 10.21.0.0/16", "")]
    [InlineData("10.20.0.0/16", "10.21.0.0/16", "10.20.0.0/16")] // the same prefix: the tunnel's
    [InlineData("10.0.0.0/8", "", "10.20.0.0/16 10.21.0.0/16")] // inside a wider carried prefix: the tunnel's
    [InlineData("10.20.5.0/24", "10.20.0.0/16 10.21.0.0/16", "")] // wider than the carried one: routed, LPM keeps 10.20.5.0/24 in the tunnel
    [InlineData("2001:db8::/32", "10.20.0.0/16 10.21.0.0/16", "")] // another family never carries
    [InlineData("0.0.0.0/0", "", "10.20.0.0/16 10.21.0.0/16")] // a peer that carries everything (AllowedIps 0.0.0.0/0)
    public void ForKernel_PrefixesATunnelCarries_LeftToIt(string carried, string kernel, string skipped)
    {
        var routes = FailoverRoutes.Plan([(s_policies[1], "p1")], s_topology);
        var carriers = new CarriedPrefixes(carried.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => (IPNetwork.Parse(p), "tunnel peer b")));

        var forKernel = FailoverRoutes.ForKernel(routes, carriers, out var left);

        Assert.Equal(kernel, string.Join(' ', forKernel.Select(r => r.Prefix.ToString()).Order(StringComparer.Ordinal)));
        Assert.Equal(skipped, string.Join(' ', left.Select(r => r.Route.Prefix.ToString()).Order(StringComparer.Ordinal)));
        Assert.All(left, r => Assert.Equal("tunnel peer b", r.Carrier));
    }

    private static string Format(RouteEntry r) =>
        $"{r.Prefix} {r.PathId}{(r.Gateway is { } g ? $" via {g}" : "")}{(r.Interface is { } i ? $" dev {i}" : "")}";

    private static FailoverPolicy Policy(long id, params string[] prefixes) =>
        new(id, $"policy-{id}", "p1", ["p2"], 50, 80, TimeSpan.FromSeconds(60), true, [.. prefixes.Select(IPNetwork.Parse)], ItemSource.Config);

    private static WanLink Link(string id, string? gateway, string? device) => new(id, "s", id, device, null, gateway, 10, ItemSource.Config);

    private static PathDefinition Path(string id, string link) => new(id, id, link, null, ["10.9.9.9:862"], ItemSource.Config);
}
