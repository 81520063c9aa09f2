namespace Patronus.Engine.Health;

/// <summary>
/// Aggregates of one path's stored health over [<see cref="From"/>, <see cref="Until"/>), computed by
/// <see cref="HealthStatsAccumulator"/> from raw samples and rollup buckets. Every measurement is null
/// when the period holds no data (<see cref="SampleCount"/> 0): an empty period has no average,
/// not an average of 0.
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="From">Start of the period (inclusive).</param>
/// <param name="Until">End of the period (exclusive).</param>
/// <param name="Resolution">
/// The level the period was read at: <see cref="HealthHistory.Plan"/>'s choice for its span, or a
/// finer one when that level holds nothing of it yet. A rollup level reads whole buckets only; the
/// partial buckets at either edge, and the newest ones not rolled up yet, come from the next finer
/// level that still holds them (see <see cref="HealthStatsPlanner"/>).
/// </param>
/// <param name="SampleCount">Raw samples the aggregates stand for (a bucket counts its samples).</param>
/// <param name="CoveredTime">
/// Time with data: each raw sample covers the time until the next one, or one sample interval
/// when the next is more than <see cref="HealthStatsAccumulator.MaxBridgedGap"/> sample intervals
/// away; a bucket covers its samples × the sample interval, at most the bucket.
/// </param>
/// <param name="UpTime">The part of <see cref="CoveredTime"/> during which the path was Up.</param>
/// <param name="LatencyAvgMs">Mean latency, weighted by samples.</param>
/// <param name="LatencyMinMs">Lowest latency of any sample.</param>
/// <param name="LatencyMaxMs">Highest latency of any sample.</param>
/// <param name="LatencyP95Ms">95th percentile latency; exact or approximate as <paramref name="LatencyP95Exact"/> says.</param>
/// <param name="LatencyP95Exact">
/// True: the nearest-rank 95th percentile over every raw sample of the period. False: read from
/// rollups, it is the sample-weighted 95th percentile of the buckets' p95 values (each bucket's p95
/// standing for all of its samples) — an approximation, since a percentile of percentiles is not a
/// percentile; it matches the true value when the buckets' latency distributions are alike.
/// </param>
/// <param name="LossAvgPct">Mean packet loss, weighted by samples.</param>
/// <param name="JitterAvgMs">Mean jitter, weighted by samples.</param>
/// <param name="ScoreAvg">Mean health score, weighted by samples.</param>
public sealed record PathHealthStats(
    string PathId,
    DateTimeOffset From,
    DateTimeOffset Until,
    HealthResolution Resolution,
    long SampleCount,
    TimeSpan CoveredTime,
    TimeSpan UpTime,
    double? LatencyAvgMs,
    double? LatencyMinMs,
    double? LatencyMaxMs,
    double? LatencyP95Ms,
    bool LatencyP95Exact,
    double? LossAvgPct,
    double? JitterAvgMs,
    double? ScoreAvg)
{
    /// <summary>Share of the period with data, 0–100. Gaps (controller down, path not yet monitored, samples lost) lower it.</summary>
    public double CoveragePct => Until > From ? Math.Min(100, CoveredTime / (Until - From) * 100) : 0;

    /// <summary>
    /// Share of the covered time the path was Up, 0–100 (Degraded and Down both count against it);
    /// gaps are left out of the denominator, so read it together with <see cref="CoveragePct"/>.
    /// Null without covered time.
    /// </summary>
    public double? UptimePct => CoveredTime > TimeSpan.Zero ? UpTime / CoveredTime * 100 : null;
}
