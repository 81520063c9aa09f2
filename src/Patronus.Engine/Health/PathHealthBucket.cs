namespace Patronus.Engine.Health;

/// <summary>
/// Aggregated health of one path over one bucket (a row of <c>sdwan_path_health_1m</c> or
/// <c>sdwan_path_health_1h</c>). A bucket covers <see cref="BucketStart"/> ≤ t &lt; BucketStart +
/// <see cref="HealthResolutions.BucketSize"/>.
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="BucketStart">Start of the bucket (a whole minute or hour, UTC).</param>
/// <param name="Resolution"><see cref="HealthResolution.Minute"/> or <see cref="HealthResolution.Hour"/>.</param>
/// <param name="Samples">Raw samples aggregated into the bucket.</param>
/// <param name="LatencyAvgMs">Mean latency, weighted by samples.</param>
/// <param name="LatencyMinMs">Lowest latency of any sample.</param>
/// <param name="LatencyMaxMs">Highest latency of any sample.</param>
/// <param name="LatencyP95Ms">
/// 95th percentile latency. Minute buckets: nearest rank over the minute's samples (the value at
/// rank ⌈0.95 n⌉ in ascending order). Hour buckets: the highest of the hour's minute p95 values,
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
    int UpSamples);
