using Patronus.Engine.Health;

namespace Patronus.Engine.Tunnels;

/// <summary>One of a peer's paths as the choice sees it: its link's cost and its health now.</summary>
/// <param name="PathId">The path.</param>
/// <param name="Cost">Its link's administrative cost (lower preferred).</param>
/// <param name="Status">Its health status, or null when it is not monitored (counts as Down).</param>
public readonly record struct TunnelPathCandidate(string PathId, int Cost, PathStatus? Status);

/// <summary>
/// Which of a peer's paths a tunnel packet leaves on (issue 15). A pure function of the peer's
/// paths, the failover decision for the packet's destination and the path used until now.
/// <list type="number">
/// <item>A failover policy covers the destination and its active path is one of the peer's: that
/// path. The policy's own hysteresis (failover threshold, failback delay, flap dampening) then
/// steers the tunnel exactly as it steers routes: a failover moves tunnel traffic at once.</item>
/// <item>Otherwise the best class of health first (Up, then Degraded, then Down or unmonitored),
/// within it the lowest link cost, ties in configuration order.</item>
/// </list>
/// Hysteresis: the health status has its own (score thresholds over a probe window, BFD's
/// detection time); on top of that, the current path is kept while it is as good as the best
/// (same class, same cost), so equal paths do not trade traffic on every health change. A
/// cheaper path that becomes Up again takes the traffic back at once: a failback delay is what a
/// failover policy is for. With every path Down the choice still names one (the cheapest, or
/// the current one among the cheapest): sending into a maybe-dead path beats dropping.
/// </summary>
public static class TunnelPathChoice
{
    /// <summary>The chosen path id, or null when the peer has no path.</summary>
    public static string? Choose(IReadOnlyList<TunnelPathCandidate> candidates, string? policyActivePathId, string? current)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        TunnelPathCandidate? best = null;
        foreach (var candidate in candidates)
        {
            if (candidate.PathId == policyActivePathId)
            {
                return candidate.PathId;
            }

            if (best is not { } b || Better(candidate, b, current))
            {
                best = candidate;
            }
        }

        return best?.PathId;
    }

    private static bool Better(TunnelPathCandidate a, TunnelPathCandidate b, string? current)
    {
        var (classA, classB) = (Class(a.Status), Class(b.Status));
        if (classA != classB)
        {
            return classA < classB;
        }

        if (a.Cost != b.Cost)
        {
            return a.Cost < b.Cost;
        }

        // Equal: only the current path displaces an earlier one (stickiness), nothing else does.
        return a.PathId == current;
    }

    private static int Class(PathStatus? status) => status switch
    {
        PathStatus.Up => 0,
        PathStatus.Degraded => 1,
        _ => 2,
    };
}
