namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// A class's <c>PreferredPaths</c> (issue 16): where its packets go when no class policy covers
/// their destination. A pure function, table-tested: the first preferred path that the peer has
/// and that meets the class's SLA (<see cref="TrafficSla.IsMetBy"/>: measured, BFD not Down,
/// answering, no threshold exceeded); none (null) when no preferred path does, and the packet
/// takes today's choice (the class-less policy's active path, else the peer's default path).
/// Hysteresis: none of its own. The SLA is judged on the path's health, which is already
/// smoothed over its probe window (30 probes by default) and BFD's detection time; a class that
/// needs a hold-down before it returns to a preferred path is what a class failover policy is for
/// (failback delay, flap dampening).
/// </summary>
public static class ClassPathChoice
{
    /// <summary>The first of <paramref name="preferred"/> for which <paramref name="isPeerPath"/> and <paramref name="meetsSla"/> hold, or null.</summary>
    public static string? Preferred(IReadOnlyList<string> preferred, Func<string, bool> isPeerPath, Func<string, bool> meetsSla)
    {
        ArgumentNullException.ThrowIfNull(preferred);
        ArgumentNullException.ThrowIfNull(isPeerPath);
        ArgumentNullException.ThrowIfNull(meetsSla);
        foreach (var pathId in preferred)
        {
            if (isPeerPath(pathId) && meetsSla(pathId))
            {
                return pathId;
            }
        }

        return null;
    }
}
