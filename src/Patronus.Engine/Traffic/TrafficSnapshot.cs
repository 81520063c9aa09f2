namespace Patronus.Engine.Traffic;

/// <summary>
/// Traffic counters at one instant, immutable. Byte and packet counts are totals since the
/// accounting started in this process and never go backwards (also across ruleset rebuilds), so
/// they can be exported as Prometheus counters as they are.
/// </summary>
/// <param name="ReadAt">When the kernel's counters were read; null in <see cref="Empty"/>.</param>
/// <param name="Policies">Per failover policy id, every policy the accounting table knows.</param>
/// <param name="Paths">Per path id, every path of the topology (counted or not, with the reason).</param>
/// <param name="FlowsReadAt">When the conntrack table was last read for the active-flow counts; null when never.</param>
public sealed record TrafficSnapshot(
    DateTimeOffset? ReadAt,
    IReadOnlyDictionary<long, PolicyTraffic> Policies,
    IReadOnlyDictionary<string, PathTraffic> Paths,
    DateTimeOffset? FlowsReadAt)
{
    /// <summary>Why a path has no active-flow count: nothing the kernel keeps per flow says which way it left.</summary>
    public const string PathFlowsUnavailable =
        "not counted: a conntrack entry records addresses and ports, not the interface or next hop its packets leave by";

    /// <summary>No counters: before the first read, or when accounting does not run.</summary>
    public static TrafficSnapshot Empty { get; } = new(null, new Dictionary<long, PolicyTraffic>(), new Dictionary<string, PathTraffic>(StringComparer.Ordinal), null);
}

/// <summary>Traffic to one failover policy's destination prefixes (see docs/traffic.md).</summary>
/// <param name="PolicyId">The policy's id.</param>
/// <param name="Name">The policy's name when the counters were read.</param>
/// <param name="Bytes">IP bytes (headers included) of packets sent to the policy's prefixes.</param>
/// <param name="Packets">Packets sent to the policy's prefixes.</param>
/// <param name="ActiveFlows">Conntrack entries towards the policy's prefixes, or null (see <paramref name="FlowsUnavailable"/>).</param>
/// <param name="FlowsUnavailable">Why <paramref name="ActiveFlows"/> is null; null when it has a value.</param>
public sealed record PolicyTraffic(long PolicyId, string Name, ulong Bytes, ulong Packets, long? ActiveFlows, string? FlowsUnavailable);

/// <summary>Traffic leaving through one path's link (see docs/traffic.md).</summary>
/// <param name="PathId">The path's id.</param>
/// <param name="LinkId">The link the path leaves through.</param>
/// <param name="Bytes">IP bytes (headers included) of packets leaving through the link, or null (see <paramref name="Unavailable"/>).</param>
/// <param name="Packets">Packets leaving through the link, or null.</param>
/// <param name="Match">The nftables match that counts them (e.g. <c>oifname "wan1" rt ip nexthop 10.0.1.1</c>); null when not counted.</param>
/// <param name="SharedWith">
/// Other paths whose match can count the same packets (paths on one link are indistinguishable
/// once routed: each reports the link's traffic). Empty when the path's numbers are its own.
/// </param>
/// <param name="Unavailable">Why the path is not counted (e.g. its link has neither interface nor gateway); null when counted.</param>
/// <param name="ActiveFlows">Always null today: see <see cref="TrafficSnapshot.PathFlowsUnavailable"/>.</param>
/// <param name="FlowsUnavailable">Why <paramref name="ActiveFlows"/> is null.</param>
public sealed record PathTraffic(
    string PathId,
    string LinkId,
    ulong? Bytes,
    ulong? Packets,
    string? Match,
    IReadOnlyList<string> SharedWith,
    string? Unavailable,
    long? ActiveFlows,
    string? FlowsUnavailable);
