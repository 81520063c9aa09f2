using System.Globalization;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class HealthStatsAccumulatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static PathHealthSample Sample(double second, PathStatus status = PathStatus.Up, double latencyMs = 10, double lossPct = 0,
        double jitterMs = 1, double score = 100) =>
        new("p1", T0.AddSeconds(second), latencyMs, lossPct, jitterMs, score, status);

    private static PathHealthBucket Bucket(double startSecond, int samples, int upSamples, double latencyAvg = 10, double latencyMin = 5,
        double latencyMax = 50, double latencyP95 = 20, double loss = 0, double jitter = 1, double score = 100,
        HealthResolution resolution = HealthResolution.Minute) =>
        new("p1", T0.AddSeconds(startSecond), resolution, samples, latencyAvg, latencyMin, latencyMax, latencyP95, loss, jitter, score, score, upSamples);

    /// <summary>"0U 1.5D 2G": a sample per token, at that second, Up / Down / deGraded.</summary>
    private static IEnumerable<PathHealthSample> Parse(string samples) =>
        samples.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(token => Sample(
            double.Parse(token[..^1], CultureInfo.InvariantCulture),
            token[^1] switch { 'U' => PathStatus.Up, 'G' => PathStatus.Degraded, _ => PathStatus.Down }));

    private static PathHealthStats Aggregate(double periodSeconds, IEnumerable<PathHealthSample> samples, TimeSpan? interval = null)
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddSeconds(periodSeconds), interval ?? Second);
        foreach (var sample in samples)
        {
            accumulator.Add(sample);
        }

        return accumulator.Finish("p1", HealthResolution.Raw);
    }

    [Theory]
    // Evenly spaced: time share = sample share.
    [InlineData("0U 1U 2D 3U", 4, 75.0, 100.0)]
    // Uneven: the Up sample stands for 1.9 s (within 2 intervals), the Down one for one interval: 1.9 / 2.9, not 1 / 2.
    [InlineData("0U 1.9D", 10, 65.517, 29.0)]
    // A gap of 9 s: the sample before it covers one interval; the gap counts neither way, only against coverage.
    [InlineData("0U 1U 10D", 11, 66.667, 27.273)]
    // Exactly two intervals apart is bridged (a lost sample)…
    [InlineData("0U 2D", 3, 66.667, 100.0)]
    // …a hair more is not.
    [InlineData("0U 2.001D", 4, 50.0, 50.0)]
    // Degraded is not Up.
    [InlineData("0D 1G 2U", 3, 33.333, 100.0)]
    // A single sample covers one interval…
    [InlineData("5U", 60, 100.0, 1.667)]
    // …clipped to the end of the period.
    [InlineData("59.5D", 60, 0.0, 0.833)]
    [InlineData("", 60, null, 0.0)]
    public void Finish_RawSamples_UptimeWeightedByTime(string samples, double periodSeconds, double? uptimePct, double coveragePct)
    {
        var stats = Aggregate(periodSeconds, Parse(samples));

        AssertClose(uptimePct, stats.UptimePct);
        AssertClose(coveragePct, stats.CoveragePct);
    }

    [Theory]
    // Uptime is the Up samples' share of the time the bucket covers: samples × interval, at most the bucket.
    [InlineData(60, 45, 75.0, 100.0)]
    [InlineData(30, 30, 100.0, 50.0)]
    [InlineData(90, 90, 100.0, 100.0)] // more samples than intervals (a shorter interval earlier): the bucket, not more
    [InlineData(60, 0, 0.0, 100.0)]
    public void Finish_OneMinuteBucket_UptimeAndCoverage(int samples, int up, double uptimePct, double coveragePct)
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddMinutes(1), Second);
        accumulator.Add(Bucket(0, samples, up));

        var stats = accumulator.Finish("p1", HealthResolution.Minute);

        AssertClose(uptimePct, stats.UptimePct);
        AssertClose(coveragePct, stats.CoveragePct);
        Assert.Equal(samples, stats.SampleCount);
    }

    [Fact]
    public void Finish_NothingAdded_NullMeasurementsZeroCount()
    {
        var stats = new HealthStatsAccumulator(T0, T0.AddHours(1), Second).Finish("p1", HealthResolution.Raw);

        Assert.Equal(new PathHealthStats("p1", T0, T0.AddHours(1), HealthResolution.Raw, 0, TimeSpan.Zero, TimeSpan.Zero,
            null, null, null, null, false, null, null, null), stats);
        Assert.Null(stats.UptimePct);
        Assert.Equal(0, stats.CoveragePct);
    }

    [Fact]
    public void Finish_EmptyBucketOnly_TreatedAsNoData()
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddHours(1), Second);
        accumulator.Add(Bucket(0, samples: 0, upSamples: 0, latencyAvg: double.NaN));

        var stats = accumulator.Finish("p1", HealthResolution.Minute);

        Assert.Equal(0, stats.SampleCount);
        Assert.Null(stats.LatencyAvgMs);
        Assert.Null(stats.UptimePct);
        Assert.Equal(0, stats.CoveragePct);
    }

    [Fact]
    public void Finish_SingleSample_EveryMeasurementIsThatSample()
    {
        var stats = Aggregate(60, [Sample(30, PathStatus.Degraded, latencyMs: 42.5, lossPct: 3, jitterMs: 4, score: 70)]);

        Assert.Equal(1, stats.SampleCount);
        Assert.Equal((42.5, 42.5, 42.5, 42.5), (stats.LatencyAvgMs!.Value, stats.LatencyMinMs!.Value, stats.LatencyMaxMs!.Value, stats.LatencyP95Ms!.Value));
        Assert.True(stats.LatencyP95Exact);
        Assert.Equal((3.0, 4.0, 70.0), (stats.LossAvgPct!.Value, stats.JitterAvgMs!.Value, stats.ScoreAvg!.Value));
        Assert.Equal(0, stats.UptimePct);
        Assert.Equal(Second, stats.CoveredTime);
    }

    [Theory]
    [InlineData(new double[] { 7, 19, 2, 14, 20, 1, 11, 5, 17, 9, 3, 13, 16, 4, 18, 8, 12, 6, 15, 10 }, 19)] // 1..20 shuffled: rank 19
    [InlineData(new double[] { 5, 5, 5, 100 }, 100)] // rank ⌈3.8⌉ = 4
    [InlineData(new double[] { 3, 1, 2 }, 3)]
    [InlineData(new double[] { 7 }, 7)]
    public void Finish_RawSamples_P95IsExactNearestRank(double[] latencies, double p95)
    {
        var stats = Aggregate(latencies.Length, latencies.Select((l, i) => Sample(i, latencyMs: l)));

        Assert.Equal(p95, stats.LatencyP95Ms);
        Assert.True(stats.LatencyP95Exact);
    }

    [Theory]
    [InlineData(19, 19)] // ⌈18.05⌉
    [InlineData(21, 20)] // ⌈19.95⌉
    [InlineData(100, 95)]
    [InlineData(101, 96)] // ⌈95.95⌉
    public void Finish_RawLatencies1ToN_P95IsRankCeiling95PercentOfN(int n, double p95)
    {
        var stats = Aggregate(n, Enumerable.Range(1, n).Reverse().Select((l, i) => Sample(i, latencyMs: l)));

        Assert.Equal(p95, stats.LatencyP95Ms);
    }

    [Fact]
    public void Finish_Buckets_MergedWeightedBySamples()
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddMinutes(2), Second);
        accumulator.Add(Bucket(0, samples: 60, upSamples: 60, latencyAvg: 10, latencyMin: 5, latencyMax: 50, latencyP95: 20, loss: 0, jitter: 1, score: 100));
        accumulator.Add(Bucket(60, samples: 20, upSamples: 5, latencyAvg: 30, latencyMin: 8, latencyMax: 200, latencyP95: 100, loss: 10, jitter: 5, score: 50));

        var stats = accumulator.Finish("p1", HealthResolution.Minute);

        Assert.Equal(80, stats.SampleCount);
        Assert.Equal(15, stats.LatencyAvgMs); // (60 × 10 + 20 × 30) / 80
        Assert.Equal((5.0, 200.0), (stats.LatencyMinMs!.Value, stats.LatencyMaxMs!.Value));
        Assert.Equal((2.5, 2.0, 87.5), (stats.LossAvgPct!.Value, stats.JitterAvgMs!.Value, stats.ScoreAvg!.Value));
        // Rank ⌈0.95 × 80⌉ = 76 of (20 × 60, 100 × 20): past the first bucket's 60.
        Assert.Equal(100, stats.LatencyP95Ms);
        Assert.False(stats.LatencyP95Exact);
        AssertClose(65 / 80.0 * 100, stats.UptimePct); // 60 s + 20 s covered, 60 s + 5 s of it Up
        AssertClose(80 / 120.0 * 100, stats.CoveragePct);
    }

    [Fact]
    public void Finish_BucketsWithLikeDistributions_P95IsTheirP95()
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddHours(3), Second);
        for (var hour = 0; hour < 3; hour++)
        {
            accumulator.Add(Bucket(hour * 3600, samples: 3600, upSamples: 3600, latencyP95: 25, resolution: HealthResolution.Hour));
        }

        var stats = accumulator.Finish("p1", HealthResolution.Hour);

        Assert.Equal(25, stats.LatencyP95Ms);
        Assert.Equal(100, stats.CoveragePct);
    }

    [Fact]
    public void Finish_RawHeadBucketBodyRawTail_StitchedWithoutGapsOrDoubleCounting()
    {
        // Period [12:00:30, 12:02:30): raw for the half minutes at the edges, one minute bucket between.
        var accumulator = new HealthStatsAccumulator(T0.AddSeconds(30), T0.AddSeconds(150), Second);
        for (var s = 30; s < 60; s++)
        {
            accumulator.Add(Sample(s, latencyMs: 1));
        }

        accumulator.Add(Bucket(60, samples: 60, upSamples: 60, latencyAvg: 2, latencyMin: 2, latencyMax: 2, latencyP95: 2));
        for (var s = 120; s < 150; s++)
        {
            accumulator.Add(Sample(s, s == 149 ? PathStatus.Down : PathStatus.Up, latencyMs: 3));
        }

        var stats = accumulator.Finish("p1", HealthResolution.Minute);

        Assert.Equal(120, stats.SampleCount);
        Assert.Equal(100, stats.CoveragePct); // the head's last sample covers up to the bucket
        AssertClose(119 / 120.0 * 100, stats.UptimePct);
        Assert.Equal(2, stats.LatencyAvgMs);
        Assert.Equal(3, stats.LatencyP95Ms); // rank 114 of 30 × 1, 60 × 2, 30 × 3
        Assert.False(stats.LatencyP95Exact);
    }

    [Fact]
    public void Add_OutOfOrderOrOutsidePeriod_Throws()
    {
        var accumulator = new HealthStatsAccumulator(T0, T0.AddMinutes(3), Second);
        accumulator.Add(Sample(10));
        Assert.Throws<ArgumentException>(() => accumulator.Add(Sample(5)));
        accumulator.Add(Bucket(60, 60, 60));
        Assert.Throws<ArgumentException>(() => accumulator.Add(Sample(90))); // inside the bucket just added
        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Add(Sample(180))); // the period's end is exclusive
        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Add(Bucket(150, 60, 60))); // runs past the end
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthStatsAccumulator(T0, T0.AddMinutes(3), TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthStatsAccumulator(T0, T0, Second));
    }

    [Fact]
    public void Finish_RandomInput_NeverNaNOrInfinity()
    {
        var random = new Random(6);
        for (var run = 0; run < 200; run++)
        {
            var accumulator = new HealthStatsAccumulator(T0, T0.AddMinutes(10), TimeSpan.FromMilliseconds(random.Next(100, 5000)));
            var t = 0.0;
            while (true)
            {
                t += random.NextDouble() * 20;
                if (t >= 600)
                {
                    break;
                }

                accumulator.Add(Sample(t, (PathStatus)random.Next(3), latencyMs: random.NextDouble() * 500));
            }

            var stats = accumulator.Finish("p1", HealthResolution.Raw);

            foreach (var value in new[] { stats.LatencyAvgMs, stats.LatencyMinMs, stats.LatencyMaxMs, stats.LatencyP95Ms, stats.LossAvgPct,
                         stats.JitterAvgMs, stats.ScoreAvg, stats.UptimePct, stats.CoveragePct })
            {
                Assert.True(value is null || double.IsFinite(value.Value), $"run {run}: {stats}");
            }

            Assert.InRange(stats.CoveragePct, 0, 100);
            Assert.True(stats.UptimePct is null or (>= 0 and <= 100), $"run {run}: {stats}");
        }
    }

    private static void AssertClose(double? expected, double? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.Value, actual.Value, 3);
    }
}
