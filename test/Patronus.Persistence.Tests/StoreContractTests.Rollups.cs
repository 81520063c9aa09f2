using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>Path status events, 1-minute and 1-hour rollups, retention and bucket reads (migration 3).</summary>
public abstract partial class StoreContractTests
{
    /// <summary>A store migrated to the latest version holding site s1, link l1 and API paths p1 (and any <paramref name="more"/>).</summary>
    private async Task<SqlStore> HealthStoreAsync(params string[] more)
    {
        await Store.MigrateAsync();
        Assert.Equal(Migrations.All.Max(m => m.Version), await Store.GetSchemaVersionAsync());
        AssertOk(await Store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await Store.InsertLinkAsync(ApiLink("l1", "s1")));
        foreach (var id in more.Prepend("p1"))
        {
            AssertOk(await Store.InsertPathAsync(ApiPath(id, "l1")));
        }

        return Store;
    }

    private static PathHealthSample At(string pathId, TimeSpan offset, double latencyMs, double lossPct = 0, double jitterMs = 2,
        double score = 100, PathStatus status = PathStatus.Up) =>
        new(pathId, Start + offset, latencyMs, lossPct, jitterMs, score, status);

    private static TimeSpan Min(double minutes) => TimeSpan.FromMinutes(minutes);

    /// <summary>Writes <paramref name="samples"/> as the recorder does: aggregated into 10-second buckets (<see cref="HealthBucketAggregator"/>).</summary>
    private static async Task<Engine.Storage.StoreResult> InsertAsBucketsAsync(SqlStore store, IEnumerable<PathHealthSample> samples)
    {
        var aggregator = new HealthBucketAggregator();
        var buckets = new List<PathHealthBucket>();
        foreach (var sample in samples.OrderBy(s => s.Timestamp))
        {
            aggregator.Add(sample, buckets);
        }

        aggregator.TakeAll(buckets);
        return await store.InsertPathHealthBucketsAsync(buckets);
    }

    /// <summary>Writes <paramref name="samples"/> both as raw samples and as 10-second buckets (raw samples on).</summary>
    private static async Task InsertRawAndBucketsAsync(SqlStore store, IReadOnlyList<PathHealthSample> samples)
    {
        AssertOk(await store.InsertPathHealthAsync(samples));
        AssertOk(await InsertAsBucketsAsync(store, samples));
    }

    private static PathStatusEvent StatusEvent(string pathId, int second, PathStatus? from, PathStatus to, string reason = "loss 100.0 % > 5 %") =>
        new(pathId, Start.AddSeconds(second), from, to, HealthScore: 12.5, LatencyMs: 250.25, PacketLossPct: 100, JitterMs: 3.5, reason);

    private async Task<long> CountAsync(string table)
    {
        await using var connection = await OpenRawAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Theory]
    [InlineData("idx_path_events_path_time", "sdwan_path_events", new[] { "path_id", "timestamp" })]
    [InlineData("idx_path_health_time", "sdwan_path_health", new[] { "timestamp" })]
    [InlineData("idx_path_health_1m_bucket", "sdwan_path_health_1m", new[] { "bucket_start", "samples" })]
    [InlineData("idx_path_health_1h_bucket", "sdwan_path_health_1h", new[] { "bucket_start" })]
    public async Task MigrateAsync_Version3_CreatesHealthHistoryIndex(string index, string table, string[] columns)
    {
        await HealthStoreAsync();

        await using var connection = await OpenRawAsync();
        var found = await FindIndexAsync(connection, index);

        Assert.NotNull(found);
        Assert.Equal(table, found.Value.Table);
        Assert.Equal(columns, found.Value.Columns);
    }

    [Fact]
    public async Task InsertPathEventsAsync_RoundTrip_RangeOrderAndLimit()
    {
        var store = await HealthStoreAsync("p2");
        var events = new[]
        {
            StatusEvent("p1", 30, PathStatus.Up, PathStatus.Down),
            StatusEvent("p1", 0, null, PathStatus.Up, "first measurement: ünïcode ok"),
            StatusEvent("p2", 10, PathStatus.Up, PathStatus.Degraded),
            StatusEvent("p1", 60, PathStatus.Down, PathStatus.Degraded, ""),
        };
        AssertOk(await store.InsertPathEventsAsync(events));

        Assert.Equal([events[1], events[0], events[3]], await store.GetPathEventsAsync("p1", Start, Start.AddMinutes(5), 100));
        Assert.Equal([events[0]], await store.GetPathEventsAsync("p1", Start.AddSeconds(1), Start.AddSeconds(60), 100));
        Assert.Equal([events[1], events[0]], await store.GetPathEventsAsync("p1", Start, Start.AddMinutes(5), 2));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetPathEventsAsync("p1", Start, Start.AddMinutes(5), 0));
        AssertOk(await store.InsertPathEventsAsync([]));
    }

    [Fact]
    public async Task InsertPathEventsAsync_UnknownPath_MissingReferenceAndNothingWritten()
    {
        var store = await HealthStoreAsync();

        AssertStatus(StoreStatus.MissingReference, await store.InsertPathEventsAsync(
            [StatusEvent("p1", 0, null, PathStatus.Up), StatusEvent("ghost", 1, null, PathStatus.Up)]));

        Assert.Equal(0, await CountAsync("sdwan_path_events"));
    }

    [Fact]
    public async Task DeletePathAsync_PathWithEventsAndBuckets_AllDeletedWithIt()
    {
        var store = await HealthStoreAsync("p2");
        AssertOk(await store.InsertPathEventsAsync([StatusEvent("p1", 0, null, PathStatus.Up), StatusEvent("p2", 0, null, PathStatus.Up)]));
        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(0), 10), At("p2", Min(0), 10)]));
        await store.RollupAsync(HealthResolution.Minute, Start.AddHours(1));
        await store.RollupAsync(HealthResolution.Hour, Start.AddHours(1));

        AssertOk(await store.DeletePathAsync("p1"));

        Assert.Single(await store.GetPathEventsAsync("p2", Start, Start.AddHours(1), 10));
        Assert.Equal(1, await CountAsync("sdwan_path_events"));
        Assert.Equal(1, await CountAsync("sdwan_path_health_10s"));
        Assert.Equal(1, await CountAsync("sdwan_path_health_1m_blocks"));
        Assert.Equal(1, await CountAsync("sdwan_path_health_1h_blocks"));
    }

    [Fact]
    public async Task RollupAsync_Minute_AggregatesHandcraftedMinuteExactly()
    {
        var store = await HealthStoreAsync("p2");
        // p1: 20 samples in 12:00, latencies 1..20 written in shuffled order; odd ones lose 10 %;
        // five are Down with score 40. p2: 60 samples, latencies 1..60.
        var order = new[] { 7, 19, 2, 14, 20, 1, 11, 5, 17, 9, 3, 13, 16, 4, 18, 8, 12, 6, 15, 10 };
        var p1 = order.Select((latency, i) => At("p1", TimeSpan.FromSeconds(i * 3), latency, lossPct: latency % 2 == 1 ? 10 : 0,
            score: latency <= 5 ? 40 : 100, status: latency <= 5 ? PathStatus.Down : PathStatus.Up));
        var p2 = Enumerable.Range(1, 60).Select(latency => At("p2", TimeSpan.FromSeconds(60 - latency), latency));
        // The minute in progress at upTo is not rolled up. The samples reach the store as 10-second buckets.
        AssertOk(await InsertAsBucketsAsync(store, [.. p1, .. p2, At("p1", Min(1.25), 500)]));

        Assert.Equal(2, await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(1.5)));

        var bucket = Assert.Single(await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 10));
        // The minute's p95 is the highest of its 10-second p95s (each the nearest rank over its 4 samples: their maximum).
        Assert.Equal(new PathHealthBucket("p1", Start, HealthResolution.Minute, Samples: 20, LatencyAvgMs: 10.5, LatencyMinMs: 1,
            LatencyMaxMs: 20, LatencyP95Ms: 20, LossAvgPct: 5, JitterAvgMs: 2, ScoreAvg: 85, ScoreMin: 40, UpSamples: 15), bucket);
        var p2Bucket = Assert.Single(await store.GetPathHealthBucketsAsync("p2", HealthResolution.Minute, Start, Start.AddHours(1), 10));
        Assert.Equal((60, 30.5, 60.0), (p2Bucket.Samples, p2Bucket.LatencyAvgMs, p2Bucket.LatencyP95Ms));
        Assert.Equal(2, await CountAsync("sdwan_path_health_1m_blocks")); // one block (hour) per path
    }

    /// <summary>
    /// Runs <paramref name="rollup"/> with <paramref name="pathId"/> deleted after the rollup read the
    /// path's source blocks and before it writes the path's target block, as far as the dialect allows
    /// (PostgreSQL: a concurrent delete the write has to wait for; SQLite, one writer: the path gone and
    /// its source left behind), and returns what the rollup returned.
    /// </summary>
    protected abstract Task<int> RollupWhilePathIsDeletedAsync(string pathId, Func<Task<int>> rollup);

    /// <summary>
    /// A path deleted while its samples are rolled up: the other paths' blocks are written and the
    /// range is done. PostgreSQL used to abort the transaction at the path's foreign key error and go
    /// on inside it: the next insert failed (25P02) or the commit quietly rolled the chunk back while
    /// the rollup position moved past it.
    /// </summary>
    [Fact]
    public async Task RollupAsync_PathDeletedAfterItsSourceWasRead_OtherPathsRolledUpAndTheRangeDone()
    {
        var store = await HealthStoreAsync("p2", "p3");
        AssertOk(await InsertAsBucketsAsync(store,
            Enumerable.Range(0, 24).SelectMany(i => new[] { "p1", "p2", "p3" }.Select(p => At(p, TimeSpan.FromSeconds(10 * i), 20 + i))).ToList()));

        var written = await RollupWhilePathIsDeletedAsync("p2", () => store.RollupAsync(HealthResolution.Minute, Start + Min(4)));

        Assert.Equal(8, written); // four minutes of p1 and of p3
        Assert.Equal(4, (await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start + Min(4), 100)).Count);
        Assert.Equal(4, (await store.GetPathHealthBucketsAsync("p3", HealthResolution.Minute, Start, Start + Min(4), 100)).Count);
        Assert.Empty(await store.GetPathHealthBucketsAsync("p2", HealthResolution.Minute, Start, Start + Min(4), 100));
        Assert.Equal<DateTimeOffset?>(Start + Min(4), await store.GetHealthRolledUpUntilAsync(HealthResolution.Minute));
        Assert.Equal(2, await CountAsync("sdwan_path_health_1m_blocks"));
    }

    [Fact]
    public async Task RollupAsync_SecondRun_SameBuckets()
    {
        var store = await HealthStoreAsync();
        AssertOk(await InsertAsBucketsAsync(store, Enumerable.Range(0, 5).Select(m => At("p1", Min(m), 10 + m)).ToList()));

        Assert.Equal(5, await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(5)));
        var first = await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 100);
        // No minute has ended since: nothing to do.
        Assert.Equal(0, await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(5)));

        Assert.Equal(first, await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 100));
        Assert.Equal(5, first.Count);
    }

    [Fact]
    public async Task RollupAsync_LateBucket_CountedInLastBucketOfPreviousRunOnly()
    {
        var store = await HealthStoreAsync();
        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(0), 10), At("p1", Min(1), 10), At("p1", Min(2), 10)]));
        Assert.Equal(3, await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(3)));

        // Late arrivals for 12:02 (the last minute rolled up) and 12:01 (older than that).
        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(2.5), 40), At("p1", Min(1.5), 40)]));
        Assert.Equal(1, await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(4)));

        var buckets = await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 100);
        Assert.Equal([(1, 10.0), (1, 10.0), (2, 25.0)], buckets.Select(b => (b.Samples, b.LatencyAvgMs)));
    }

    [Fact]
    public async Task RollupAsync_DataDaysApart_RollsBothAndNothingBetween()
    {
        var store = await HealthStoreAsync();
        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(0), 10), At("p1", TimeSpan.FromDays(3), 20)]));

        Assert.Equal(2, await store.RollupAsync(HealthResolution.Minute, Start.AddDays(3).AddMinutes(1)));

        Assert.Equal([Start, Start.AddDays(3)],
            (await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddDays(4), 100)).Select(b => b.BucketStart));
    }

    [Fact]
    public async Task RollupAsync_Hour_WeightsMinutesBySamples()
    {
        var store = await HealthStoreAsync();
        AssertOk(await InsertAsBucketsAsync(store,
        [
            At("p1", Min(0), 10),
            At("p1", Min(1), 30, lossPct: 20, jitterMs: 6, score: 40, status: PathStatus.Down),
            At("p1", Min(1.25), 30, lossPct: 20, jitterMs: 6, score: 40, status: PathStatus.Down),
            At("p1", Min(1.5), 30, lossPct: 20, jitterMs: 6, score: 40, status: PathStatus.Down),
            At("p1", Min(60), 999), // 13:00, the hour in progress
        ]));
        var upTo = Start.AddMinutes(90);
        await store.RollupAsync(HealthResolution.Minute, upTo);

        Assert.Equal(1, await store.RollupAsync(HealthResolution.Hour, upTo));

        // Weighted by samples (1 and 3): unweighted means of the minutes would be 20 ms, 10 %, 4 ms, 70.
        Assert.Equal(new PathHealthBucket("p1", Start, HealthResolution.Hour, Samples: 4, LatencyAvgMs: 25, LatencyMinMs: 10,
            LatencyMaxMs: 30, LatencyP95Ms: 30, LossAvgPct: 15, JitterAvgMs: 5, ScoreAvg: 55, ScoreMin: 40, UpSamples: 1),
            Assert.Single(await store.GetPathHealthBucketsAsync("p1", HealthResolution.Hour, Start, Start.AddDays(1), 10)));
    }

    [Fact]
    public async Task RollupAsync_NothingToRoll_WritesNothing()
    {
        var store = await HealthStoreAsync();

        Assert.Equal(0, await store.RollupAsync(HealthResolution.Minute, Start));
        Assert.Equal(0, await store.RollupAsync(HealthResolution.Hour, Start));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.RollupAsync(HealthResolution.Raw, Start));
    }

    [Fact]
    public async Task DeleteHealthBeforeAsync_EachLevel_DeletesOnlyOlderRowsInChunks()
    {
        var store = await HealthStoreAsync("p2");
        store.RetentionChunkRows = 3; // several chunks, the last one partial
        await InsertRawAndBucketsAsync(store, Enumerable.Range(0, 150).SelectMany(m => new[] { At("p1", Min(m), 10), At("p2", Min(m), 10) }).ToList());
        await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(150));
        await store.RollupAsync(HealthResolution.Hour, Start.AddMinutes(150));

        Assert.Equal(20, await store.DeleteHealthBeforeAsync(HealthResolution.Raw, Start.AddMinutes(10)));
        // A block goes once its last bucket is past retention: 10-minute blocks 12:00–12:50 of both paths.
        Assert.Equal(12, await store.DeleteHealthBeforeAsync(HealthResolution.TenSeconds, Start.AddMinutes(65)));
        Assert.Equal(0, await store.DeleteHealthBeforeAsync(HealthResolution.Minute, Start.AddMinutes(59)));
        Assert.Equal(2, await store.DeleteHealthBeforeAsync(HealthResolution.Minute, Start.AddMinutes(60)));
        Assert.Equal(0, await store.DeleteHealthBeforeAsync(HealthResolution.Hour, Start.AddMinutes(60)));
        Assert.Equal(2, await store.DeleteHealthBeforeAsync(HealthResolution.Hour, Start.AddHours(12)));
        Assert.Equal(0, await store.DeleteHealthBeforeAsync(HealthResolution.Raw, Start.AddMinutes(10)));

        Assert.Equal(Start.AddMinutes(10), (await store.GetPathHealthAsync("p1", Start, Start.AddDays(1), 1)).Single().Timestamp);
        Assert.Equal(Start.AddMinutes(60), (await store.GetPathHealthBucketsAsync("p1", HealthResolution.TenSeconds, Start, Start.AddDays(1), 1)).Single().BucketStart);
        Assert.Equal(Start.AddMinutes(60), (await store.GetPathHealthBucketsAsync("p2", HealthResolution.Minute, Start, Start.AddDays(1), 1)).Single().BucketStart);
        Assert.Empty(await store.GetPathHealthBucketsAsync("p1", HealthResolution.Hour, Start, Start.AddDays(1), 1));
        Assert.Equal(280, await CountAsync("sdwan_path_health"));
        Assert.Equal(18, await CountAsync("sdwan_path_health_10s"));
        Assert.Equal(4, await CountAsync("sdwan_path_health_1m_blocks"));
        Assert.Equal(0, await CountAsync("sdwan_path_health_1h_blocks"));
    }

    [Fact]
    public async Task GetPathHealthBucketsAsync_RangeFromInclusiveUntilExclusiveAndLimit()
    {
        var store = await HealthStoreAsync("p2");
        AssertOk(await InsertAsBucketsAsync(store, Enumerable.Range(0, 6).SelectMany(m => new[] { At("p1", Min(m), m), At("p2", Min(m), 100) }).ToList()));
        await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(6));

        var range = await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start.AddMinutes(1), Start.AddMinutes(4), 100);
        var limited = await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start.AddMinutes(1), Start.AddMinutes(4), 2);

        Assert.Equal([1.0, 2.0, 3.0], range.Select(b => b.LatencyAvgMs));
        Assert.All(range, b => Assert.Equal(("p1", HealthResolution.Minute), (b.PathId, b.Resolution)));
        Assert.Equal([1.0, 2.0], limited.Select(b => b.LatencyAvgMs));
        Assert.Empty(await store.GetPathHealthBucketsAsync("p1", HealthResolution.Hour, Start, Start.AddDays(1), 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddDays(1), 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetPathHealthBucketsAsync("p1", HealthResolution.Raw, Start, Start.AddDays(1), 10));
    }
}
