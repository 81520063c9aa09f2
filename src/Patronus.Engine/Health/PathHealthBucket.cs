namespace Patronus.Engine.Health;

/// <summary>
/// Aggregated health of one path over one bucket of 10 s, 1 min or 1 h (one record of a packed block,
/// see docs/storage.md). A bucket covers <see cref="BucketStart"/> ≤ t &lt; BucketStart +
/// <see cref="HealthResolutions.BucketSize"/>.
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="BucketStart">Start of the bucket (a whole minute or hour, UTC).</param>
/// <param name="Resolution"><see cref="HealthResolution.TenSeconds"/>, <see cref="HealthResolution.Minute"/> or <see cref="HealthResolution.Hour"/>.</param>
/// <param name="Samples">Raw samples aggregated into the bucket.</param>
/// <param name="LatencyAvgMs">Mean latency, weighted by samples.</param>
/// <param name="LatencyMinMs">Lowest latency of any sample.</param>
/// <param name="LatencyMaxMs">Highest latency of any sample.</param>
/// <param name="LatencyP95Ms">
/// 95th percentile latency. 10-second buckets: nearest rank over the bucket's samples (the value at
/// rank ⌈0.95 n⌉ in ascending order; with 1 s samples that is their maximum). Minute and hour
/// buckets: the highest p95 of the finer buckets they are made of,
/// an upper bound on the hour's true p95 (each minute has at most 5 % of its samples above its
/// p95, so at most 5 % of the hour's samples lie above the maximum) — it errs on the pessimistic
/// side, which is the safe side for SLA reporting.
/// </param>
/// <param name="LossAvgPct">Mean packet loss, weighted by samples.</param>
/// <param name="JitterAvgMs">Mean jitter, weighted by samples.</param>
/// <param name="ScoreAvg">Mean health score, weighted by samples.</param>
/// <param name="ScoreMin">Lowest health score of any sample.</param>
/// <param name="UpSamples">Samples whose status was Up (availability = UpSamples / Samples).</param>
public sealed record PathHealthBucket(
    string PathId,
    DateTimeOffset BucketStart,
    HealthResolution Resolution,
    int Samples,
    double LatencyAvgMs,
    double LatencyMinMs,
    double LatencyMaxMs,
    double LatencyP95Ms,
    double LossAvgPct,
    double JitterAvgMs,
    double ScoreAvg,
    double ScoreMin,
    int UpSamples)
{
    /// <summary>
    /// Merges two aggregates of the same bucket (a bucket written in parts, e.g. before and after a
    /// restart, or finer buckets rolled into a coarser one): counts add, means are weighted by samples,
    /// extremes are extremes, and the p95 is the higher of the two (an upper bound, see
    /// <see cref="LatencyP95Ms"/>). Keeps this bucket's identity; an empty side leaves the other as it is.
    /// </summary>
    public PathHealthBucket Combine(PathHealthBucket other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Samples <= 0)
        {
            return this;
        }

        if (Samples <= 0)
        {
            return other with { PathId = PathId, BucketStart = BucketStart, Resolution = Resolution };
        }

        double n = Samples + other.Samples;
        return this with
        {
            Samples = Samples + other.Samples,
            LatencyAvgMs = ((LatencyAvgMs * Samples) + (other.LatencyAvgMs * other.Samples)) / n,
            LatencyMinMs = Math.Min(LatencyMinMs, other.LatencyMinMs),
            LatencyMaxMs = Math.Max(LatencyMaxMs, other.LatencyMaxMs),
            LatencyP95Ms = Math.Max(LatencyP95Ms, other.LatencyP95Ms),
            LossAvgPct = ((LossAvgPct * Samples) + (other.LossAvgPct * other.Samples)) / n,
            JitterAvgMs = ((JitterAvgMs * Samples) + (other.JitterAvgMs * other.Samples)) / n,
            ScoreAvg = ((ScoreAvg * Samples) + (other.ScoreAvg * other.Samples)) / n,
            ScoreMin = Math.Min(ScoreMin, other.ScoreMin),
            UpSamples = UpSamples + other.UpSamples,
        };
    }
}
