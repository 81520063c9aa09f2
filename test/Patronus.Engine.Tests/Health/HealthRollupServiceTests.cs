using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Health;
using Patronus.Engine.Tests.TestSupport;
using Patronus.Persistence;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Health;

/// <summary>One rollup-and-retention pass against a real SQLite file, driven with a fixed "now".</summary>
public sealed class HealthRollupServiceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 12, 0, 30, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(s_now);
    private SqliteStoreWithPath _db = null!;
    private SqlStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await SqliteStoreWithPath.CreateAsync(_clock);
        _store = _db.Store;
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static PathHealthSample Sample(DateTimeOffset at, double latencyMs) => new("p1", at, latencyMs, 0, 1, 100, PathStatus.Up);

    private static PathStatusEvent Event(DateTimeOffset at) => new("p1", at, PathStatus.Up, PathStatus.Down, 12.5, 250, 100, 3, "loss 100.0 % > 5 %");

    private async Task<DateTimeOffset[]> EventTimesAsync() =>
        (await _store.GetPathEventsAsync("p1", DateTimeOffset.UnixEpoch, s_now.AddYears(1), 100)).Select(e => e.Timestamp).ToArray();

    [Fact]
    public async Task RunOnceAsync_MixedAges_RollsUpThenExpiresByRetention()
    {
        var oldMinute = s_now.AddHours(-30).AddSeconds(-30); // 06:00 the day before: past raw retention
        var lastMinute = s_now.AddMinutes(-1).AddSeconds(-30); // 11:59, complete
        var current = s_now.AddSeconds(-10); // 12:00:20, the minute in progress
        var ancient = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero); // past every retention
        PathHealthSample[] samples =
        [
            Sample(ancient, 1),
            Sample(oldMinute, 10), Sample(oldMinute.AddSeconds(1), 20),
            Sample(lastMinute, 30), Sample(lastMinute.AddSeconds(1), 50),
            Sample(current, 99),
        ];
        // Raw samples on: the samples as rows, and as the recorder's 10-second buckets.
        Assert.True((await _store.InsertPathHealthAsync(samples)).Succeeded);
        var aggregator = new HealthBucketAggregator();
        var buckets = new List<PathHealthBucket>();
        foreach (var sample in samples)
        {
            aggregator.Add(sample, buckets);
        }

        aggregator.TakeAll(buckets);
        Assert.True((await _store.InsertPathHealthBucketsAsync(buckets)).Succeeded);
        Assert.True((await _store.InsertPathEventsAsync([Event(ancient), Event(lastMinute)])).Succeeded);
        var service = new HealthRollupService(_store, Options.Create(new HealthPersistenceOptions()), _clock, NullLogger<HealthRollupService>.Instance);

        var pass = await service.RunOnceAsync(s_now, CancellationToken.None);

        // Minutes: ancient, 06:00 and 11:59 (not the one in progress); hours: ancient, 06:00 and 11:00.
        // Expired: 10-second blocks (10 min) of ancient and 06:00; the minute block (1 h) and hour block (1 day) of ancient.
        Assert.Equal(new HealthRollupPass(MinuteBuckets: 3, HourBuckets: 3, RawDeleted: 3, MinuteDeleted: 1, HourDeleted: 1, EventsDeleted: 1) { TenSecondDeleted = 2 }, pass);
        Assert.Equal([lastMinute, lastMinute.AddSeconds(1), current],
            (await _store.GetPathHealthAsync("p1", ancient, s_now, 100)).Select(s => s.Timestamp));
        var minutes = await _store.GetPathHealthBucketsAsync("p1", HealthResolution.Minute, ancient, s_now, 100);
        Assert.Equal([(oldMinute, 15.0), (lastMinute, 40.0)], minutes.Select(b => (b.BucketStart, b.LatencyAvgMs)));
        var hours = await _store.GetPathHealthBucketsAsync("p1", HealthResolution.Hour, ancient, s_now, 100);
        Assert.Equal([new DateTimeOffset(2026, 11, 21, 6, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 22, 11, 0, 0, TimeSpan.Zero)],
            hours.Select(b => b.BucketStart));

        // A second pass a minute later has nothing new to expire and re-rolls only the newest buckets.
        var again = await service.RunOnceAsync(s_now.AddMinutes(1), CancellationToken.None);
        Assert.Equal(0, again.RawDeleted + again.TenSecondDeleted + again.MinuteDeleted + again.HourDeleted + again.EventsDeleted);
        Assert.Equal(2, (await _store.GetPathHealthBucketsAsync("p1", HealthResolution.Hour, ancient, s_now, 100)).Count);
    }

    [Fact]
    public async Task ExecuteAsync_ClockAdvancesPastEventRetention_DeletesEventsOnTheNextPass()
    {
        var expired = s_now.AddDays(-31);
        var expiresInADay = s_now.AddDays(-29).AddHours(-1);
        var recent = s_now.AddDays(-1);
        Assert.True((await _store.InsertPathEventsAsync([Event(expired), Event(expiresInADay), Event(recent)])).Succeeded);
        using var service = new HealthRollupService(_store, Options.Create(new HealthPersistenceOptions()), _clock, NullLogger<HealthRollupService>.Instance);

        // The first pass runs at start; the next one when the clock reaches the rollup interval.
        await service.StartAsync(CancellationToken.None);
        await Poll.AssertAsync(async () => (await EventTimesAsync()).Length == 2, TimeSpan.FromSeconds(10), "the first pass deletes the event older than 30 days");
        Assert.Equal([expiresInADay, recent], await EventTimesAsync());

        _clock.Advance(TimeSpan.FromDays(1));
        await Poll.AssertAsync(async () => (await EventTimesAsync()).Length == 1, TimeSpan.FromSeconds(10), "a day later the next pass deletes the one that has turned 30 days old");
        Assert.Equal([recent], await EventTimesAsync());
        await service.StopAsync(CancellationToken.None);
    }
}
