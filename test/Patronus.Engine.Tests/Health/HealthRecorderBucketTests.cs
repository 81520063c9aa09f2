using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

/// <summary>The recorder with raw samples off (the default): samples become 10-second buckets in memory, one write per bucket.</summary>
public sealed class HealthRecorderBucketTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(s_t0);
    private readonly FakeHealthStore _store = FakeHealthStore.Create();
    private readonly HealthRecorder _recorder;

    public HealthRecorderBucketTests()
    {
        _recorder = new HealthRecorder(_store.Store, _store.Store, Options.Create(new HealthPersistenceOptions { FlushInterval = TimeSpan.FromSeconds(1) }), _clock,
            new FakeLogger<HealthRecorder>());
    }

    public void Dispose() => _recorder.Dispose();

    private static PathHealthSample Sample(double second, double latencyMs, string pathId = "p1", PathStatus status = PathStatus.Up) =>
        new(pathId, s_t0.AddSeconds(second), latencyMs, LatencyMsToLoss(latencyMs), 1, status == PathStatus.Up ? 100 : 30, status);

    private static double LatencyMsToLoss(double latencyMs) => latencyMs >= 100 ? 50 : 0;

    [Fact]
    public async Task FlushOnceAsync_TenSecondsOfSamples_OneBucketPerPathAndNoRawRows()
    {
        for (var i = 0; i < 10; i++)
        {
            _recorder.Record(Sample(i, 10 + i));
            _recorder.Record(Sample(i, 100, "p2", i < 3 ? PathStatus.Down : PathStatus.Up));
        }

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await _recorder.FlushOnceAsync(CancellationToken.None));
        Assert.Empty(_store.BucketBatches); // 06:00:10: the bucket may still get samples for one flush interval

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _recorder.FlushOnceAsync(CancellationToken.None));

        var batch = Assert.Single(_store.BucketBatches);
        Assert.Equal(new PathHealthBucket("p1", s_t0, HealthResolution.TenSeconds, Samples: 10, LatencyAvgMs: 14.5, LatencyMinMs: 10, LatencyMaxMs: 19,
            LatencyP95Ms: 19, LossAvgPct: 0, JitterAvgMs: 1, ScoreAvg: 100, ScoreMin: 100, UpSamples: 10), batch.Single(b => b.PathId == "p1"));
        var p2 = batch.Single(b => b.PathId == "p2");
        Assert.Equal((10, 7, 50.0, 79.0, 30.0), (p2.Samples, p2.UpSamples, p2.LossAvgPct, p2.ScoreAvg, p2.ScoreMin));
        Assert.Empty(_store.SampleBatches);
        Assert.Equal((20L, 2L), (_recorder.WrittenSamples, _recorder.WrittenBuckets));
    }

    [Fact]
    public async Task FlushOnceAsync_TwentySamplesInABucket_P95IsNearestRank()
    {
        // 0.5 s samples, latencies 1..20 shuffled: rank ⌈0.95 × 20⌉ = 19.
        int[] order = [7, 19, 2, 14, 20, 1, 11, 5, 17, 9, 3, 13, 16, 4, 18, 8, 12, 6, 15, 10];
        for (var i = 0; i < order.Length; i++)
        {
            _recorder.Record(Sample(i * 0.5, order[i]));
        }

        _clock.Advance(TimeSpan.FromSeconds(11));
        await _recorder.FlushOnceAsync(CancellationToken.None);

        var bucket = Assert.Single(Assert.Single(_store.BucketBatches));
        Assert.Equal((20, 19.0, 1.0, 20.0), (bucket.Samples, bucket.LatencyP95Ms, bucket.LatencyMinMs, bucket.LatencyMaxMs));
    }

    [Fact]
    public async Task FlushOnceAsync_SampleOfAnEarlierBucketAfterTheNextBegan_WrittenAsABucketOfItsOwn()
    {
        _recorder.Record(Sample(1, 10));
        _recorder.Record(Sample(12, 20)); // closes 06:00:00
        _recorder.Record(Sample(5, 30)); // late: 06:00:00 again, merged by the store

        _clock.Advance(TimeSpan.FromSeconds(30));
        await _recorder.FlushOnceAsync(CancellationToken.None);

        Assert.Equal([(s_t0, 1, 10.0), (s_t0, 1, 30.0), (s_t0.AddSeconds(10), 1, 20.0)],
            Assert.Single(_store.BucketBatches).Select(b => (b.BucketStart, b.Samples, b.LatencyAvgMs)).OrderBy(b => b.Item1).ThenBy(b => b.Item3));
    }

    [Fact]
    public async Task RunAsync_Cancelled_WritesOpenBucketsAsTheyAre()
    {
        using var stop = new CancellationTokenSource();
        var run = _recorder.RunAsync(stop.Token);
        _recorder.Record(Sample(0, 10));
        _recorder.Record(Sample(1, 20));
        _recorder.Record(Sample(2, 30, "p2"));

        await stop.CancelAsync();
        await run;

        Assert.Equal([("p1", 2, 15.0), ("p2", 1, 30.0)], _store.BucketBatches.SelectMany(b => b).Select(b => (b.PathId, b.Samples, b.LatencyAvgMs)).OrderBy(b => b.PathId));
        Assert.Equal(3, _recorder.WrittenSamples);
    }

    [Fact]
    public async Task FlushOnceAsync_BucketWriteFails_KeptAndWrittenOnTheNextTick()
    {
        _recorder.Record(Sample(0, 10));
        _clock.Advance(TimeSpan.FromSeconds(11));
        _store.FailBuckets = true;

        Assert.False(await _recorder.FlushOnceAsync(CancellationToken.None));
        _store.FailBuckets = false;
        Assert.True(await _recorder.FlushOnceAsync(CancellationToken.None));

        Assert.Equal(1, Assert.Single(Assert.Single(_store.BucketBatches)).Samples);
        Assert.Equal(0, _recorder.BucketDrops.Total);
    }
}
