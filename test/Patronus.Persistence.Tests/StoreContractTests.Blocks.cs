using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>Packed 10-second, 1-minute and 1-hour blocks (migration 9).</summary>
public abstract partial class StoreContractTests
{
    private static PathHealthBucket TenSeconds(string pathId, TimeSpan offset, int samples, double latencyMs, int up = -1) =>
        new(pathId, Start + offset, HealthResolution.TenSeconds, samples, latencyMs, latencyMs - 1, latencyMs + 1, latencyMs + 0.5,
            LossAvgPct: 0.125, JitterAvgMs: 1.5, ScoreAvg: 99.5, ScoreMin: 98, UpSamples: up < 0 ? samples : up);

    [Theory]
    [InlineData("idx_path_health_10s_time", "sdwan_path_health_10s")]
    [InlineData("idx_path_health_1m_blocks_time", "sdwan_path_health_1m_blocks")]
    [InlineData("idx_path_health_1h_blocks_time", "sdwan_path_health_1h_blocks")]
    public async Task MigrateAsync_Version9_CreatesBlockTablesWithTimeIndex(string index, string table)
    {
        await HealthStoreAsync();

        await using var connection = await OpenRawAsync();
        var found = await FindIndexAsync(connection, index);

        Assert.NotNull(found);
        Assert.Equal(table, found.Value.Table);
        Assert.Equal(["block_start"], found.Value.Columns);
    }

    [Fact]
    public async Task InsertPathHealthBucketsAsync_RoundTrip_OneRowPerPathAndBlock()
    {
        var store = await HealthStoreAsync("p2");
        var buckets = Enumerable.Range(0, 70).Select(i => TenSeconds("p1", TimeSpan.FromSeconds(10 * i), 10, 20 + (i * 0.5))).ToList();
        AssertOk(await store.InsertPathHealthBucketsAsync([.. buckets.Take(30), TenSeconds("p2", TimeSpan.Zero, 10, 5)]));
        AssertOk(await store.InsertPathHealthBucketsAsync(buckets.Skip(30).ToList()));

        Assert.Equal(buckets, await store.GetPathHealthBucketsAsync("p1", HealthResolution.TenSeconds, Start, Start.AddHours(1), 1_000));
        Assert.Equal(buckets.Skip(5).Take(3), await store.GetPathHealthBucketsAsync("p1", HealthResolution.TenSeconds, Start.AddSeconds(41), Start.AddSeconds(80), 1_000));
        Assert.Equal(3, await CountAsync("sdwan_path_health_10s")); // p1: 12:00 and 12:10 blocks; p2: one
    }

    [Fact]
    public async Task InsertPathHealthBucketsAsync_SameBucketTwice_MergedAsOneBucket()
    {
        var store = await HealthStoreAsync();
        // An open bucket written at shutdown (4 samples) and the rest of it after the restart (6).
        AssertOk(await store.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 4, 10, up: 4)]));
        AssertOk(await store.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 6, 20, up: 3)]));

        var bucket = Assert.Single(await store.GetPathHealthBucketsAsync("p1", HealthResolution.TenSeconds, Start, Start.AddHours(1), 10));
        Assert.Equal((10, 16.0, 9.0, 21.0, 20.5, 7), (bucket.Samples, bucket.LatencyAvgMs, bucket.LatencyMinMs, bucket.LatencyMaxMs, bucket.LatencyP95Ms, bucket.UpSamples));
    }

    [Fact]
    public async Task InsertPathHealthBucketsAsync_UnknownPath_MissingReferenceAndNothingWritten()
    {
        var store = await HealthStoreAsync();

        var result = await store.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 10, 5), TenSeconds("ghost", TimeSpan.Zero, 10, 5)]);

        Assert.Equal(StoreStatus.MissingReference, result.Status);
        Assert.Equal(0, await CountAsync("sdwan_path_health_10s"));
        AssertOk(await store.InsertPathHealthBucketsAsync([]));
    }

    [Fact]
    public async Task GetPathHealthBucketsAsync_RowsOfOldBucketTable_ReadAndExpiredUntilGone()
    {
        var store = await HealthStoreAsync();
        // A minute bucket written by the row-per-bucket schema before the upgrade, then packed ones.
        await using (var connection = await OpenRawAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO sdwan_path_health_1m (path_id, bucket_start, samples, latency_avg_ms, latency_min_ms, latency_max_ms,
                    latency_p95_ms, loss_avg_pct, jitter_avg_ms, score_avg, score_min, up_samples)
                VALUES ('p1', @Start, 60, 7, 6, 8, 7.5, 0, 1, 100, 100, 60)
                """, new { Start = Start.ToUnixTimeMilliseconds() });
        }

        AssertOk(await InsertAsBucketsAsync(store, [At("p1", Min(1), 30)]));
        await store.RollupAsync(HealthResolution.Minute, Start.AddMinutes(2));

        Assert.Equal([(60, 7.0), (1, 30.0)], (await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 10)).Select(b => (b.Samples, b.LatencyAvgMs)));
        Assert.Equal(1, await store.DeleteHealthBeforeAsync(HealthResolution.Minute, Start.AddMinutes(1)));
        Assert.Equal([(1, 30.0)], (await store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, Start, Start.AddHours(1), 10)).Select(b => (b.Samples, b.LatencyAvgMs)));
    }
}
