using Patronus.Engine.Health;

namespace Patronus.Persistence.Tests;

/// <summary>The reads behind path health statistics, and <see cref="HealthStatsReader"/> on them.</summary>
public abstract partial class StoreContractTests
{
    private static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// p1 sampled every 10 s for three hours from <see cref="Start"/>: latency 10 + (7 i mod 20) ms
    /// (every value 10–29), Down with full loss for the ten minutes from 13:00, Up otherwise; p2
    /// gets other values at the same times. Rolled up to 15:00 at both levels; the clock is at 15:00.
    /// </summary>
    private async Task<(SqlStore Store, List<PathHealthSample> P1)> StatsSeriesAsync()
    {
        var store = await HealthStoreAsync("p2", "p3");
        var p1 = Enumerable.Range(0, 1080).Select(i => i is >= 360 and < 420
            ? At("p1", StatsInterval * i, 10 + (7 * i % 20), lossPct: 100, score: 0, status: PathStatus.Down)
            : At("p1", StatsInterval * i, 10 + (7 * i % 20))).ToList();
        var p2 = Enumerable.Range(0, 180).Select(i => At("p2", TimeSpan.FromMinutes(i), 999, status: PathStatus.Down));
        await InsertRawAndBucketsAsync(store, [.. p1, .. p2]);
        Assert.Equal(360, await store.RollupAsync(HealthResolution.Minute, Start.AddHours(3)));
        Assert.Equal(6, await store.RollupAsync(HealthResolution.Hour, Start.AddHours(3)));
        Time.Advance(TimeSpan.FromHours(3));
        return (store, p1);
    }

    private HealthStatsReader StatsReader(SqlStore store) => new(store, new HealthPersistenceOptions(), StatsInterval, Time);

    private static double ExactP95(IEnumerable<PathHealthSample> samples)
    {
        var sorted = samples.Select(s => s.LatencyMs).Order().ToList();
        return sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1];
    }

    [Fact]
    public async Task ReadPathHealthAsync_Range_StreamsOnePathOldestFirstWithoutLimit()
    {
        var (store, p1) = await StatsSeriesAsync();

        var streamed = await store.ReadPathHealthAsync("p1", Start.AddMinutes(30), Start.AddMinutes(90)).ToListAsync();

        Assert.Equal(p1.Where(s => s.Timestamp >= Start.AddMinutes(30) && s.Timestamp < Start.AddMinutes(90)), streamed);
        Assert.Equal(await store.GetPathHealthAsync("p1", Start, Start.AddHours(3), 5_000), await store.ReadPathHealthAsync("p1", Start, Start.AddHours(3)).ToListAsync());
        Assert.Empty(await store.ReadPathHealthAsync("p3", Start, Start.AddHours(3)).ToListAsync());
    }

    [Fact]
    public async Task ReadPathHealthBucketsAsync_Range_SameAsBoundedRead()
    {
        var (store, _) = await StatsSeriesAsync();

        foreach (var resolution in new[] { HealthResolution.Minute, HealthResolution.Hour })
        {
            var streamed = await store.ReadPathHealthBucketsAsync("p1", resolution, Start, Start.AddHours(3)).ToListAsync();
            Assert.Equal(await store.GetPathHealthBucketsAsync("p1", resolution, Start, Start.AddHours(3), 1_000), streamed);
        }

        Assert.Equal(60, (await store.ReadPathHealthBucketsAsync("p1", HealthResolution.Minute, Start.AddHours(1), Start.AddHours(2)).ToListAsync()).Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.ReadPathHealthBucketsAsync("p1", HealthResolution.Raw, Start, Start.AddHours(1)).ToListAsync());
    }

    [Fact]
    public async Task GetHealthRolledUpUntilAsync_AfterEachRollup_EndOfNewestBucket()
    {
        var store = await HealthStoreAsync();
        Assert.Null(await store.GetHealthRolledUpUntilAsync(HealthResolution.Minute));
        Assert.Null(await store.GetHealthRolledUpUntilAsync(HealthResolution.Hour));
        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(0), 10), At("p1", Min(2.5), 10), At("p1", Min(61), 10)]));

        await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(3));
        Assert.Equal(Start.AddMinutes(3), await store.GetHealthRolledUpUntilAsync(HealthResolution.Minute));
        Assert.Null(await store.GetHealthRolledUpUntilAsync(HealthResolution.Hour));

        await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(70));
        await store.RollupAsync(HealthResolution.Hour, Start.AddMinutes(70));
        Assert.Equal(Start.AddMinutes(62), await store.GetHealthRolledUpUntilAsync(HealthResolution.Minute));
        Assert.Equal(Start.AddHours(1), await store.GetHealthRolledUpUntilAsync(HealthResolution.Hour));
    }

    [Fact]
    public async Task GetPathLatencyP95Async_KnownSets_NearestRankOfThatPathAndRange()
    {
        var store = await HealthStoreAsync("p2");
        var order = new[] { 7, 19, 2, 14, 20, 1, 11, 5, 17, 9, 3, 13, 16, 4, 18, 8, 12, 6, 15, 10 };
        AssertOk(await store.InsertPathHealthAsync(
        [
            .. order.Select((latency, i) => At("p1", TimeSpan.FromSeconds(i), latency)),
            At("p1", TimeSpan.FromSeconds(20), 1_000), // outside the range read
            At("p2", TimeSpan.FromSeconds(1), 500),
        ]));

        Assert.Equal(19, await store.GetPathLatencyP95Async("p1", Start, Start.AddSeconds(20))); // rank ⌈0.95 × 20⌉ = 19
        Assert.Equal(20, await store.GetPathLatencyP95Async("p1", Start, Start.AddSeconds(21))); // ⌈19.95⌉ = 20 of 21
        Assert.Equal(7, await store.GetPathLatencyP95Async("p1", Start, Start.AddSeconds(1)));
        Assert.Null(await store.GetPathLatencyP95Async("p1", Start.AddHours(1), Start.AddHours(2)));
        Assert.Null(await store.GetPathLatencyP95Async("ghost", Start, Start.AddHours(1)));
    }

    [Fact]
    public async Task HealthStatsReader_Hour_TenSecondBucketsWithExactP95FromRaw()
    {
        var (store, p1) = await StatsSeriesAsync();

        // [14:00, 15:00): all Up, every 10 s.
        var stats = await StatsReader(store).ReadAsync("p1", TimeSpan.FromHours(1));

        var hour = p1.Skip(720).ToList();
        Assert.Equal((HealthResolution.TenSeconds, 360L, Start.AddHours(2), Start.AddHours(3)), (stats.Resolution, stats.SampleCount, stats.From, stats.Until));
        Assert.Equal((100.0, 100.0), (stats.CoveragePct, stats.UptimePct!.Value));
        Assert.Equal(hour.Average(s => s.LatencyMs), stats.LatencyAvgMs!.Value, 9);
        Assert.Equal((10.0, 29.0), (stats.LatencyMinMs!.Value, stats.LatencyMaxMs!.Value));
        Assert.Equal(ExactP95(hour), stats.LatencyP95Ms);
        Assert.True(stats.LatencyP95Exact);
    }

    [Fact]
    public async Task HealthStatsReader_CustomRangeOverOutage_TimeWeightedUptime()
    {
        var (store, _) = await StatsSeriesAsync();

        // [12:30, 13:30) holds the ten Down minutes from 13:00.
        var stats = await StatsReader(store).ReadAsync("p1", Start.AddMinutes(30), Start.AddMinutes(90));

        Assert.Equal((HealthResolution.TenSeconds, 360L), (stats.Resolution, stats.SampleCount));
        Assert.Equal(50 / 60.0 * 100, stats.UptimePct!.Value, 9);
        Assert.Equal(100, stats.CoveragePct, 9);
        Assert.Equal(60 / 360.0 * 100, stats.LossAvgPct!.Value, 9);
    }

    [Fact]
    public async Task HealthStatsReader_Day_MinuteBucketsWithExactP95FromRaw()
    {
        var (store, p1) = await StatsSeriesAsync();

        var stats = await StatsReader(store).ReadAsync("p1", TimeSpan.FromDays(1));

        Assert.Equal((HealthResolution.Minute, 1080L), (stats.Resolution, stats.SampleCount));
        Assert.Equal(12.5, stats.CoveragePct, 9); // 3 h of 24
        Assert.Equal(1020 / 1080.0 * 100, stats.UptimePct!.Value, 9);
        Assert.Equal(p1.Average(s => s.LatencyMs), stats.LatencyAvgMs!.Value, 9);
        Assert.Equal(p1.Average(s => s.HealthScore), stats.ScoreAvg!.Value, 9);
        // The whole day is within raw retention: its p95 is ranked over the raw samples in the database.
        Assert.True(stats.LatencyP95Exact);
        Assert.Equal(ExactP95(p1), stats.LatencyP95Ms);
    }

    [Fact]
    public async Task HealthStatsReader_Month_HourBucketsApproximateP95()
    {
        var (store, p1) = await StatsSeriesAsync();

        var stats = await StatsReader(store).ReadAsync("p1", TimeSpan.FromDays(30));

        Assert.Equal((HealthResolution.Hour, 1080L), (stats.Resolution, stats.SampleCount));
        Assert.Equal(10_800 / (30 * 86_400.0) * 100, stats.CoveragePct, 9);
        Assert.Equal(1020 / 1080.0 * 100, stats.UptimePct!.Value, 9);
        Assert.Equal(p1.Average(s => s.LatencyMs), stats.LatencyAvgMs!.Value, 9);
        // Each hour's p95 is its highest minute p95, here 29 ms; the weighted p95 of those is 29 ms.
        Assert.False(stats.LatencyP95Exact);
        Assert.Equal(29, stats.LatencyP95Ms);
    }

    [Fact]
    public async Task HealthStatsReader_NewestSamplesNotRolledUp_ReadFromTenSecondBuckets()
    {
        var (store, _) = await StatsSeriesAsync();
        // 15:00:00–15:01:20, Down at 50 ms; the 15:00 minute is not rolled up.
        AssertOk(await InsertAsBucketsAsync(store, Enumerable.Range(0, 9)
            .Select(i => At("p1", TimeSpan.FromHours(3) + (StatsInterval * i), 50, status: PathStatus.Down)).ToList()));
        Time.Advance(TimeSpan.FromSeconds(90));

        var stats = await StatsReader(store).ReadAsync("p1", TimeSpan.FromDays(1));

        Assert.Equal((HealthResolution.Minute, 1089L, 50.0), (stats.Resolution, stats.SampleCount, stats.LatencyMaxMs!.Value));
        Assert.Equal(10_200 / 10_890.0 * 100, stats.UptimePct!.Value, 9);
    }

    [Fact]
    public async Task HealthStatsReader_NoData_CountZeroAndNulls()
    {
        var (store, _) = await StatsSeriesAsync();

        foreach (var span in new[] { TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(30) })
        {
            var stats = await StatsReader(store).ReadAsync("p3", span);

            Assert.Equal(0, stats.SampleCount);
            Assert.Equal((0.0, (double?)null, (double?)null, (double?)null), (stats.CoveragePct, stats.UptimePct, stats.LatencyAvgMs, stats.LatencyP95Ms));
        }
    }
}
