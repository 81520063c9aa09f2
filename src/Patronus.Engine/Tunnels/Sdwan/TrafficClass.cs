namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>A class's SLA thresholds; null = not checked.</summary>
/// <param name="MaxLatencyMs">Highest latency, milliseconds.</param>
/// <param name="MaxLossPercent">Highest loss, percent.</param>
/// <param name="MaxJitterMs">Highest jitter, milliseconds.</param>
public sealed record TrafficSla(double? MaxLatencyMs, double? MaxLossPercent, double? MaxJitterMs)
{
    /// <summary>No thresholds: never breached.</summary>
    public static TrafficSla None { get; } = new(null, null, null);

    /// <summary>
    /// Whether a path measured at <paramref name="latencyMs"/>, <paramref name="lossPercent"/> and
    /// <paramref name="jitterMs"/> breaches this SLA: any threshold given exceeded (strictly). An
    /// unknown measurement (null: no data yet) breaches nothing, so a path is not condemned before
    /// it was measured.
    /// </summary>
    public bool IsBreachedBy(double? latencyMs, double? lossPercent, double? jitterMs) =>
        latencyMs > MaxLatencyMs || lossPercent > MaxLossPercent || jitterMs > MaxJitterMs;

    /// <summary>Whether any threshold is set (a class without one has no SLA to judge a path by).</summary>
    public bool HasThresholds => MaxLatencyMs is not null || MaxLossPercent is not null || MaxJitterMs is not null;

    /// <summary>
    /// Whether a path is fit for the class (issue 16: class policies, <c>PreferredPaths</c>,
    /// <c>on-sla-breach</c>): measured at all, its BFD session not Down, something answers (loss
    /// below 100 %: a silent path has no latency to breach), and no threshold exceeded. An
    /// unmeasured path is not fit: a class is never steered onto a path nobody has looked at.
    /// </summary>
    public bool IsMetBy(bool measured, bool? bfdDown, double latencyMs, double lossPercent, double jitterMs) =>
        measured && bfdDown != true && lossPercent < 100 && !IsBreachedBy(latencyMs, lossPercent, jitterMs);

    /// <summary>
    /// Why a path is not fit (<see cref="IsMetBy"/> false), in words with the numbers, naming
    /// <paramref name="className"/>: for failover events and logs.
    /// </summary>
    public string Why(string pathId, string className, bool measured, bool? bfdDown, double latencyMs, double lossPercent, double jitterMs)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return !measured ? $"path {pathId} not measured"
            : bfdDown == true ? $"path {pathId} BFD down"
            : lossPercent >= 100 ? $"path {pathId} does not answer"
            : latencyMs > MaxLatencyMs ? string.Create(c, $"path {pathId} latency {latencyMs:0.###} ms > {MaxLatencyMs} ms of class {className}'s SLA")
            : lossPercent > MaxLossPercent ? string.Create(c, $"path {pathId} loss {lossPercent:0.###} % > {MaxLossPercent} % of class {className}'s SLA")
            : jitterMs > MaxJitterMs ? string.Create(c, $"path {pathId} jitter {jitterMs:0.###} ms > {MaxJitterMs} ms of class {className}'s SLA")
            : $"path {pathId} meets class {className}'s SLA";
    }
}

/// <summary>
/// A compiled traffic class, shared read-only by every thread that classifies: the classifier
/// returns these (no allocation per packet), and per-class counters and decisions key on
/// <see cref="Index"/>.
/// </summary>
/// <param name="Name">The configured name, or <see cref="TrafficClassifier.DefaultName"/>.</param>
/// <param name="Index">Position in <see cref="TrafficClassifier.Classes"/>.</param>
/// <param name="Sla">Its SLA.</param>
/// <param name="PreferredPaths">Path ids in order of preference; empty: the tunnel's own choice.</param>
/// <param name="Duplication">When its packets go on two paths.</param>
/// <param name="DuplicationHold">How long the active path must meet the SLA before <c>on-sla-breach</c> duplication stops.</param>
public sealed record TrafficClass(string Name, int Index, TrafficSla Sla, IReadOnlyList<string> PreferredPaths, DuplicationMode Duplication, TimeSpan DuplicationHold);
