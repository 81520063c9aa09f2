namespace Patronus.Engine.Health;

/// <summary>Per-path thresholds of the seed's scoring formula. Defaults are typical business-grade SLA limits.</summary>
/// <param name="LatencyMs">Mean RTT above which latency costs score. Default 150 ms.</param>
/// <param name="LossPct">Loss above which loss costs score. Default 5 %.</param>
/// <param name="JitterMs">Jitter above which jitter costs score. Default 30 ms.</param>
public sealed record HealthThresholds(double LatencyMs = HealthThresholds.DefaultLatencyMs, double LossPct = HealthThresholds.DefaultLossPct, double JitterMs = HealthThresholds.DefaultJitterMs)
{
    public const double DefaultLatencyMs = 150;
    public const double DefaultLossPct = 5;
    public const double DefaultJitterMs = 30;

    public static HealthThresholds Default { get; } = new();
}

/// <summary>
/// The seed 000 scoring formula, exactly: start at 100; when a measurement is over its threshold,
/// subtract (value / threshold) × weight with weights latency 30, loss 40, jitter 30; clamp at 0.
/// Status: Up ≥ 80, Degraded ≥ 50, Down below — and Down whenever nothing answered at all.
/// Note the step at each threshold: just over the latency threshold costs a full 30 points, so a
/// path crossing it goes straight from Up (100) to Degraded (≈ 70). That is the seed's behaviour and
/// is kept; the thresholds are per path so operators set them where that step belongs.
/// </summary>
public static class HealthScoring
{
    public const double MaxScore = 100;
    public const double UpAtOrAbove = 80;
    public const double DegradedAtOrAbove = 50;
    public const double LatencyWeight = 30;
    public const double LossWeight = 40;
    public const double JitterWeight = 30;

    public static double Score(double latencyMs, double lossPct, double jitterMs, HealthThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var score = MaxScore;
        if (latencyMs > thresholds.LatencyMs)
        {
            score -= latencyMs / thresholds.LatencyMs * LatencyWeight;
        }

        score -= LossPenalty(lossPct, thresholds);

        if (jitterMs > thresholds.JitterMs)
        {
            score -= jitterMs / thresholds.JitterMs * JitterWeight;
        }

        return Math.Max(0, score);
    }

    /// <summary>The points <paramref name="lossPct"/> costs: (loss / threshold) × 40 above the threshold, 0 at or below it.</summary>
    public static double LossPenalty(double lossPct, HealthThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return lossPct > thresholds.LossPct ? lossPct / thresholds.LossPct * LossWeight : 0;
    }

    public static PathStatus StatusOf(double score) => score switch
    {
        >= UpAtOrAbove => PathStatus.Up,
        >= DegradedAtOrAbove => PathStatus.Degraded,
        _ => PathStatus.Down,
    };
}
