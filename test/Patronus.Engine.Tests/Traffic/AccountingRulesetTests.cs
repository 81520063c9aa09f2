using System.Net;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>
/// The generated nft text, as tables. The same text is loaded into a real kernel by the lab
/// (test/Patronus.Lab.Tests/Traffic), which is what proves nft accepts it.
/// </summary>
public sealed class AccountingRulesetTests
{
    private const string Head = "add table inet patronus_acct\n";

    [Fact]
    public void Build_NoPoliciesNoPaths_TableAndChainsOnly()
    {
        var ruleset = AccountingRuleset.Build([], TopologySnapshot.Empty, flows: false);

        Assert.Equal(
            "add chain inet patronus_acct policies\n" +
            "add chain inet patronus_acct postrouting { type filter hook postrouting priority 1000; policy accept; }\n" +
            "add rule inet patronus_acct postrouting jump policies\n",
            ruleset.Body);
        Assert.Empty(ruleset.CounterNames);
    }

    [Theory]
    [InlineData("10.20.0.0/16", "add rule inet patronus_acct policies ip daddr 10.20.0.0/16 counter name \"policy_7\" return")]
    [InlineData("2001:db8:20::/48", "add rule inet patronus_acct policies ip6 daddr 2001:db8:20::/48 counter name \"policy_7\" return")]
    [InlineData("0.0.0.0/0", "add rule inet patronus_acct policies ip daddr 0.0.0.0/0 counter name \"policy_7\" return")]
    [InlineData("::/0", "add rule inet patronus_acct policies ip6 daddr ::/0 counter name \"policy_7\" return")]
    [InlineData("10.240.20.5/32", "add rule inet patronus_acct policies ip daddr 10.240.20.5/32 counter name \"policy_7\" return")]
    public void Build_OnePrefix_OneRuleOfItsFamily(string prefix, string rule)
    {
        var ruleset = AccountingRuleset.Build([Policy(7, prefix)], TopologySnapshot.Empty, flows: false);

        Assert.Contains("add counter inet patronus_acct policy_7\n", ruleset.Body, StringComparison.Ordinal);
        Assert.Single(Rules(ruleset, "policies"));
        Assert.Equal(rule, Rules(ruleset, "policies")[0]);
    }

    [Fact]
    public void Build_NestedPrefixesOfTwoPolicies_LongestFirstSoTheMoreSpecificPolicyCounts()
    {
        var ruleset = AccountingRuleset.Build(
            [Policy(1, "10.0.0.0/8", "2001:db8::/32"), Policy(2, "10.1.0.0/16", "10.1.2.0/24"), Policy(3, "2001:db8:1::/48")],
            TopologySnapshot.Empty, flows: false);

        Assert.Equal(
            [
                "ip6 daddr 2001:db8:1::/48 counter name \"policy_3\" return",
                "ip6 daddr 2001:db8::/32 counter name \"policy_1\" return",
                "ip daddr 10.1.2.0/24 counter name \"policy_2\" return",
                "ip daddr 10.1.0.0/16 counter name \"policy_2\" return",
                "ip daddr 10.0.0.0/8 counter name \"policy_1\" return",
            ],
            Rules(ruleset, "policies").Select(r => r["add rule inet patronus_acct policies ".Length..]));
        Assert.Equal(["policy_1", "policy_2", "policy_3"], ruleset.CounterNames);
    }

    [Theory]
    // Interface and gateway: the most precise (the route's next hop on that interface).
    [InlineData("wan1", "10.0.1.1", "oifname \"wan1\" rt ip nexthop 10.0.1.1")]
    [InlineData("wan6", "fe80::1", "oifname \"wan6\" rt ip6 nexthop fe80::1")]
    [InlineData("wan1", null, "oifname \"wan1\"")]
    [InlineData(null, "10.0.1.1", "rt ip nexthop 10.0.1.1")]
    // Quoting: nft's only special case in a quoted name is a trailing '*' (a wildcard); escaped, it is literal.
    [InlineData("eth0.100", null, "oifname \"eth0.100\"")]
    [InlineData("lte-1_a@b", null, "oifname \"lte-1_a@b\"")]
    [InlineData("odd*", null, "oifname \"odd\\*\"")]
    [InlineData("a*b", null, "oifname \"a*b\"")]
    [InlineData("x'y;#z", null, "oifname \"x'y;#z\"")]
    [InlineData("back\\slash", null, "oifname \"back\\slash\"")]
    public void Build_PathOnLink_CountsWhatLeavesThroughTheLink(string? iface, string? gateway, string match)
    {
        var ruleset = AccountingRuleset.Build([], Topology(Link("l1", iface, gateway), Path("p1", "l1")), flows: false);

        var path = Assert.Single(ruleset.Paths);
        Assert.Equal(match, path.Match);
        Assert.Equal("path_p1", path.Counter);
        Assert.Null(path.Unavailable);
        Assert.Equal($"add rule inet patronus_acct postrouting {match} counter name \"path_p1\"", Rules(ruleset, "postrouting")[1]);
    }

    [Theory]
    [InlineData(null, null, "link l1 has neither an interface nor a gateway")]
    [InlineData("we\"ird", null, "contains '\"'")]
    public void Build_PathWithoutAnHonestMatch_NotCountedWithTheReason(string? iface, string? gateway, string reason)
    {
        var ruleset = AccountingRuleset.Build([], Topology(Link("l1", iface, gateway), Path("p1", "l1")), flows: false);

        var path = Assert.Single(ruleset.Paths);
        Assert.Null(path.Counter);
        Assert.Null(path.Match);
        Assert.Contains(reason, path.Unavailable, StringComparison.Ordinal);
        Assert.DoesNotContain("path_p1", ruleset.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TwoPathsOnOneLink_EachCountsTheLinkAndNamesTheOther()
    {
        var ruleset = AccountingRuleset.Build([], Topology(
            [Link("l1", "wan1", "10.0.1.1"), Link("l2", "wan2", "10.0.2.1"), Link("l3", "wan2", "10.0.2.9"), Link("l4", "wan2", null)],
            [Path("a", "l1"), Path("b", "l1"), Path("c", "l2"), Path("d", "l3"), Path("e", "l4")]), flows: false);

        var shared = ruleset.Paths.ToDictionary(p => p.PathId, p => string.Join(',', p.SharedWith));
        Assert.Equal("b", shared["a"]);
        Assert.Equal("a", shared["b"]);
        // Same interface, different next hops: distinct. The interface-only link e sees them all.
        Assert.Equal("e", shared["c"]);
        Assert.Equal("e", shared["d"]);
        Assert.Equal("c,d", shared["e"]);
        Assert.Equal(5, ruleset.Paths.Count(p => p.Counter is not null));
    }

    [Fact]
    public void Build_Flows_AddsTheConntrackRuleLast()
    {
        var ruleset = AccountingRuleset.Build([Policy(1, "10.0.0.0/8")], Topology(Link("l1", "wan1", "10.0.1.1"), Path("p1", "l1")), flows: true);

        Assert.StartsWith("add rule inet patronus_acct postrouting ct state new comment", Rules(ruleset, "postrouting")[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("ct state", AccountingRuleset.Build([], TopologySnapshot.Empty, flows: false).Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_FlowsWithoutPolicies_NoConntrackRule()
    {
        var ruleset = AccountingRuleset.Build([], Topology(Link("l1", "wan1", "10.0.1.1"), Path("p1", "l1")), flows: true);

        Assert.False(ruleset.Flows);
        Assert.DoesNotContain("ct state", ruleset.Body, StringComparison.Ordinal);
        Assert.Contains("counter name \"path_p1\"", ruleset.Body, StringComparison.Ordinal); // the paths still count
    }

    [Fact]
    public void CreateScript_ReplacesTheWholeTableInOneTransaction()
    {
        var ruleset = AccountingRuleset.Build([Policy(1, "10.0.0.0/8")], TopologySnapshot.Empty, flows: false);

        var lines = ruleset.CreateScript().Split('\n');
        Assert.StartsWith("#", lines[0], StringComparison.Ordinal);
        Assert.Equal(["add table inet patronus_acct", "delete table inet patronus_acct", "add table inet patronus_acct"], lines[1..4]);
        Assert.EndsWith(ruleset.Body, ruleset.CreateScript(), StringComparison.Ordinal);
    }

    [Fact]
    public void UpdateScript_FlushesRulesKeepsCountersDeletesOnlyStaleOnes()
    {
        var ruleset = AccountingRuleset.Build([Policy(1, "10.0.0.0/8")], Topology(Link("l1", "wan1", null), Path("p1", "l1")), flows: false);

        var script = ruleset.UpdateScript(["policy_1", "policy_9", "path_p1", "path_gone"]);

        var lines = script.Split('\n');
        Assert.Equal([Head.TrimEnd(), "flush table inet patronus_acct", "delete counter inet patronus_acct path_gone", "delete counter inet patronus_acct policy_9"], lines[1..5]);
        Assert.EndsWith(ruleset.Body, script, StringComparison.Ordinal);
        Assert.DoesNotContain("delete table", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SameInputs_SameBody_NameChangeNeedsNoRebuild()
    {
        var topology = Topology(Link("l1", "wan1", "10.0.1.1"), Path("p1", "l1"));
        var a = AccountingRuleset.Build([Policy(1, "10.0.0.0/8")], topology, flows: true);
        var b = AccountingRuleset.Build([Policy(1, "10.0.0.0/8") with { Name = "renamed" }], topology, flows: true);

        Assert.Equal(a.Body, b.Body);
        Assert.Equal("renamed", Assert.Single(b.Policies).Name);
    }

    internal static FailoverPolicy Policy(long id, params string[] prefixes) =>
        new(id, $"policy-{id}", "p1", [], 50, 80, TimeSpan.FromSeconds(60), true, prefixes.Select(p => IPNetwork.Parse(p)).ToList(), ItemSource.Api);

    internal static WanLink Link(string id, string? iface, string? gateway) => new(id, "s", id, iface, null, gateway, 10, ItemSource.Config);

    internal static PathDefinition Path(string id, string link) => new(id, id, link, null, ["10.9.9.9"], ItemSource.Config);

    internal static TopologySnapshot Topology(WanLink link, PathDefinition path) => Topology([link], [path]);

    internal static TopologySnapshot Topology(IReadOnlyList<WanLink> links, IReadOnlyList<PathDefinition> paths) =>
        new([new Site("s", "s", null, ItemSource.Config)], links, paths);

    private static List<string> Rules(AccountingRuleset ruleset, string chain) =>
        ruleset.Body.Split('\n').Where(l => l.StartsWith($"add rule inet patronus_acct {chain} ", StringComparison.Ordinal)).ToList();
}
