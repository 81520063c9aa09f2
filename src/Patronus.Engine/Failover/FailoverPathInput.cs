namespace Patronus.Engine.Failover;

/// <summary>
/// What failover knows about one path when it decides (a projection of the path's health snapshot).
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="Score">Health score, 0–100, already capped by BFD (BFD Down caps it at 0). NaN counts as unacceptable.</param>
/// <param name="BfdDown">True when the path's BFD session is Down, false when it is not, null when the path has no BFD session.</param>
/// <param name="Measured">
/// False until the path has been measured at all (no probe result yet). Failover never acts on a path
/// without data: an unmeasured active path is left alone, an unmeasured candidate is not chosen.
/// </param>
public readonly record struct FailoverPathInput(string PathId, double Score, bool? BfdDown, bool Measured)
{
    /// <summary>Mean RTT of the path's probes, ms: what a class policy's SLA judges (with loss and jitter).</summary>
    public double LatencyMs { get; init; }

    /// <summary>Loss of the path's probes, 0–100.</summary>
    public double LossPercent { get; init; }

    /// <summary>Jitter of the path's probes, ms.</summary>
    public double JitterMs { get; init; }
}
