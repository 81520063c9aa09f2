using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Traffic;

/// <summary>A policy's named counter and the prefixes it counts.</summary>
internal sealed record PolicyCounter(long PolicyId, string Name, string Counter, IReadOnlyList<IPNetwork> Prefixes);

/// <summary>A path's named counter and its match, or why it has none.</summary>
internal sealed record PathCounter(string PathId, string LinkId, string? Counter, string? Match, IReadOnlyList<string> SharedWith, string? Unavailable);

/// <summary>
/// What the accounting table counts, derived from the policies and the topology by a pure function,
/// and the nft scripts that install it. One base chain on <c>postrouting</c> sees every packet that
/// leaves the box exactly once, forwarded or locally generated, after the last routing decision
/// (so after any reroute in <c>output</c>), with the output interface and next hop final; see
/// docs/traffic.md.
/// <code>
/// table inet patronus_acct {
///   counter policy_7 { }  counter path_p1 { } …
///   chain policies { ip daddr 10.20.0.0/16 counter name "policy_7" return … }   longest prefix first
///   chain postrouting { type filter hook postrouting priority 1000; policy accept;
///     jump policies
///     oifname "wan1" rt ip nexthop 10.0.1.1 counter name "path_p1" … }
/// }
/// </code>
/// </summary>
internal sealed class AccountingRuleset
{
    public const string Family = "inet";
    public const string Table = "patronus_acct";

    /// <summary>
    /// Priority of the postrouting chain: after source NAT (100) and the usual filter chains (0), so a
    /// packet another postrouting chain drops first is not counted. Counting only: the chain never
    /// drops or changes a packet.
    /// </summary>
    public const int Priority = 1000;

    public const string PolicyCounterPrefix = "policy_";
    public const string PathCounterPrefix = "path_";

    private const string Target = Family + " " + Table;

    private AccountingRuleset(IReadOnlyList<PolicyCounter> policies, IReadOnlyList<PathCounter> paths, bool flows, string body)
    {
        Policies = policies;
        Paths = paths;
        Flows = flows;
        Body = body;
        CounterNames = [.. policies.Select(p => p.Counter), .. paths.Where(p => p.Counter is not null).Select(p => p.Counter!)];
    }

    /// <summary>The empty ruleset (no policies, no paths): the table and its chains only.</summary>
    public static AccountingRuleset Empty { get; } = Build([], TopologySnapshot.Empty, flows: false);

    /// <summary>Every policy, by id.</summary>
    public IReadOnlyList<PolicyCounter> Policies { get; }

    /// <summary>Every path of the topology, in topology order, counted or not.</summary>
    public IReadOnlyList<PathCounter> Paths { get; }

    /// <summary>
    /// Whether the table holds the rule that keeps conntrack on (for active-flow counts): asked for
    /// and at least one policy to count flows for. Without a policy the rule would only tax every
    /// packet leaving the box (a conntrack lookup each: measured on BFD's 44,000 packets/s) for
    /// counts nobody can see.
    /// </summary>
    public bool Flows { get; }

    /// <summary>The counters, chains and rules as nft commands; two rulesets with the same body need no rebuild.</summary>
    public string Body { get; }

    /// <summary>Names of every counter the body creates.</summary>
    public IReadOnlyList<string> CounterNames { get; }

    /// <summary>Builds the ruleset for these policies and this topology.</summary>
    public static AccountingRuleset Build(IReadOnlyList<FailoverPolicy> policies, TopologySnapshot topology, bool flows)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(topology);
        // A class policy (docs/tunnels.md, "Traffic classes") shares its prefixes with the class-less
        // one and steers only its class in the tunnels, which nftables cannot tell apart: its traffic
        // is counted per class by the tunnel (patronus_class_*), not here.
        var policyCounters = policies.Where(p => p.Class is null).OrderBy(p => p.Id)
            .Select(p => new PolicyCounter(p.Id, p.Name, PolicyCounterPrefix + p.Id.ToString(CultureInfo.InvariantCulture), p.Prefixes))
            .ToList();
        var pathCounters = PathCounters(topology);
        flows = flows && policyCounters.Count > 0;

        var body = new System.Text.StringBuilder();
        foreach (var counter in policyCounters.Select(p => p.Counter).Concat(pathCounters.Where(p => p.Counter is not null).Select(p => p.Counter!)))
        {
            body.Append("add counter ").Append(Target).Append(' ').Append(counter).Append('\n');
        }

        body.Append("add chain ").Append(Target).Append(" policies\n");
        body.Append("add chain ").Append(Target).Append(" postrouting { type filter hook postrouting priority ")
            .Append(Priority.ToString(CultureInfo.InvariantCulture)).Append("; policy accept; }\n");

        // Longest prefix first, and the first match returns: a packet counts for the one policy
        // whose route the kernel uses (nested prefixes of two policies: the more specific wins).
        foreach (var (prefix, counter) in PrefixesLongestFirst(policyCounters))
        {
            body.Append("add rule ").Append(Target).Append(" policies ")
                .Append(prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip").Append(" daddr ")
                .Append(prefix.ToString()).Append(" counter name \"").Append(counter).Append("\" return\n");
        }

        body.Append("add rule ").Append(Target).Append(" postrouting jump policies\n");
        foreach (var path in pathCounters.Where(p => p.Counter is not null))
        {
            body.Append("add rule ").Append(Target).Append(" postrouting ").Append(path.Match)
                .Append(" counter name \"").Append(path.Counter).Append("\"\n");
        }

        if (flows)
        {
            // No statement: the rule is there for its side effect. A ct expression in a live ruleset
            // makes the kernel track connections in this namespace, so the conntrack table the
            // active-flow counts come from is complete rather than silently empty.
            body.Append("add rule ").Append(Target).Append(" postrouting ct state new comment \"patronus: keeps conntrack on for active-flow counts\"\n");
        }

        return new AccountingRuleset(policyCounters, pathCounters, flows, body.ToString());
    }

    /// <summary>Replaces the whole table in one transaction (every counter starts at zero).</summary>
    public string CreateScript() =>
        $"# Patronus traffic accounting (docs/traffic.md): replace the table\nadd table {Target}\ndelete table {Target}\nadd table {Target}\n{Body}";

    /// <summary>
    /// Rebuilds the rules in place in one transaction: the table and the counters that stay keep
    /// their values (no packet is lost to a rebuild), counters no longer wanted are deleted.
    /// Fails as a whole when <paramref name="existingCounters"/> is wrong (someone changed our table):
    /// the caller then uses <see cref="CreateScript"/>.
    /// </summary>
    public string UpdateScript(IEnumerable<string> existingCounters)
    {
        var wanted = CounterNames.ToHashSet(StringComparer.Ordinal);
        var script = new System.Text.StringBuilder($"# Patronus traffic accounting (docs/traffic.md): rebuild in place\nadd table {Target}\nflush table {Target}\n");
        foreach (var stale in existingCounters.Where(c => !wanted.Contains(c)).Order(StringComparer.Ordinal))
        {
            script.Append("delete counter ").Append(Target).Append(' ').Append(stale).Append('\n');
        }

        return script.Append(Body).ToString();
    }

    /// <summary>Removes the table (at shutdown).</summary>
    public static string DeleteScript => $"delete table {Target}\n";

    private static IEnumerable<(IPNetwork Prefix, string Counter)> PrefixesLongestFirst(List<PolicyCounter> policies) =>
        policies.SelectMany(p => p.Prefixes.Select(prefix => (Prefix: prefix, p.Counter, p.PolicyId)))
            .OrderByDescending(x => x.Prefix.PrefixLength)
            .ThenBy(x => x.Prefix.BaseAddress.AddressFamily)
            .ThenBy(x => x.PolicyId)
            .ThenBy(x => x.Prefix.ToString(), StringComparer.Ordinal)
            .Select(x => (x.Prefix, x.Counter));

    private static List<PathCounter> PathCounters(TopologySnapshot topology)
    {
        var matched = new List<(PathDefinition Path, string? Interface, IPAddress? Gateway, string? Match, string? Unavailable)>();
        foreach (var path in topology.Paths)
        {
            topology.LinksById.TryGetValue(path.LinkId, out var link);
            var unavailable = TopologyRules.CheckId(path.Id) is { } idError ? $"path id {idError}" : null;
            var (match, gateway, linkError) = LinkMatch(path.LinkId, link);
            matched.Add((path, link?.Interface, gateway, unavailable is null ? match : null, unavailable ?? linkError));
        }

        var result = new List<PathCounter>(matched.Count);
        foreach (var (path, iface, gateway, match, unavailable) in matched)
        {
            var shared = match is null
                ? []
                : matched.Where(o => o.Path.Id != path.Id && o.Match is not null && Overlap(iface, gateway, o.Interface, o.Gateway)).Select(o => o.Path.Id).ToList();
            result.Add(new PathCounter(path.Id, path.LinkId, match is null ? null : PathCounterPrefix + path.Id, match, shared, unavailable));
        }

        return result;
    }

    /// <summary>
    /// The most precise match for "leaves through this link": its interface and, when it has one,
    /// its gateway as the route's next hop (a host reached on-link has itself as next hop, so traffic
    /// to other neighbours on the interface is not the link's). IPv4 gateway: IPv4 packets only.
    /// </summary>
    internal static (string? Match, IPAddress? Gateway, string? Unavailable) LinkMatch(string linkId, WanLink? link)
    {
        if (link is null)
        {
            return (null, null, $"link {linkId} is not in the topology");
        }

        var parts = new List<string>(2);
        if (link.Interface is { } name)
        {
            if (name.Contains('"', StringComparison.Ordinal))
            {
                return (null, null, $"interface name '{name}' contains '\"', which an nftables string cannot hold");
            }

            // A trailing '*' is nft's wildcard ("eth*" = every eth…); escaped, it is a literal star.
            parts.Add($"oifname \"{(name.EndsWith('*') ? name[..^1] + "\\*" : name)}\"");
        }

        IPAddress? gateway = null;
        if (link.Gateway is { } text)
        {
            if (!IPAddress.TryParse(text, out gateway))
            {
                return (null, null, $"gateway '{text}' of link {link.Id} is not an IP address");
            }

            parts.Add($"rt {(gateway.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip")} nexthop {gateway}");
        }

        return parts.Count == 0
            ? (null, null, $"link {link.Id} has neither an interface nor a gateway: nothing in a packet says it leaves through it")
            : (string.Join(' ', parts), gateway, null);
    }

    /// <summary>Two matches can count one packet unless they name different interfaces or different next hops.</summary>
    private static bool Overlap(string? interfaceA, IPAddress? gatewayA, string? interfaceB, IPAddress? gatewayB) =>
        (interfaceA is null || interfaceB is null || interfaceA == interfaceB) &&
        (gatewayA is null || gatewayB is null || gatewayA.Equals(gatewayB));
}
