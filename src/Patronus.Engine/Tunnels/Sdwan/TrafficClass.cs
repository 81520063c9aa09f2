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
