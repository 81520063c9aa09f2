using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

/// <summary>
/// The recorder's queues and writer loop against an in-memory store on a manual clock. Ticks are
/// driven either through <c>FlushOnceAsync</c> (one loop iteration) or by advancing the clock
/// under a running <see cref="HealthRecorder.RunAsync"/>; nothing sleeps.
/// </summary>
public sealed class HealthRecorderTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(s_t0);
    private readonly FakeHealthStore _store = FakeHealthStore.Create();
    private readonly FakeLogger<HealthRecorder> _log = new();
    // The timings below are written for 1 s; the sample lane's tests need raw samples on (10-second buckets: HealthRecorderTests.Buckets.cs).
    private readonly HealthPersistenceOptions _options = new() { FlushInterval = TimeSpan.FromSeconds(1), RawSamples = true };
    private readonly List<HealthRecorder> _recorders = [];

    public void Dispose()
    {
        foreach (var recorder in _recorders)
        {
            recorder.Dispose();
        }
    }

    private HealthRecorder CreateRecorder()
    {
        var recorder = new HealthRecorder(_store.Store, _store.Store, Options.Create(_options), _clock, _log);
        _recorders.Add(recorder);
        return recorder;
    }

    private static PathHealthSample Sample(int n, string pathId = "p1") =>
        new(pathId, s_t0.AddSeconds(n), 10 + n, 0, 1, 100, PathStatus.Up);

    private static PathStatusEvent Event(int n, string pathId = "p1") =>
        new(pathId, s_t0.AddSeconds(n), PathStatus.Up, PathStatus.Down, 20, 300, 60, 5, $"event {n}");

    private static int[] Numbers(IEnumerable<PathHealthSample> samples) => samples.Select(s => (int)(s.Timestamp - s_t0).TotalSeconds).ToArray();

    [Fact]
    public async Task RunAsync_OneFlushInterval_WritesQueuedSamplesAndEventsInOneCallEach()
    {
        var recorder = CreateRecorder();
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);

        Assert.True(recorder.Record(Sample(0)));
        Assert.True(recorder.Record(Sample(1)));
        Assert.True(recorder.Record(Sample(2, "p2")));
        Assert.True(recorder.Record(Event(0)));
        Assert.True(recorder.Record(Event(1)));
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, _store.WriteCalls);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("samples", await _store.NextFinishedAsync());
        Assert.Equal("events", await _store.NextFinishedAsync());

        await stop.CancelAsync();
        await run;
        Assert.Equal([0, 1, 2], Numbers(Assert.Single(_store.SampleBatches)));
        Assert.Equal(["event 0", "event 1"], Assert.Single(_store.EventBatches).Select(e => e.Reason));
        Assert.Equal(2, _store.WriteCalls); // the drain found nothing left
        Assert.Equal(3, recorder.WrittenSamples);
        Assert.Equal(2, recorder.WrittenEvents);
    }

    [Fact]
    public async Task FlushOnceAsync_MoreThanMaxBatch_WritesOneBatchPerTickOldestFirst()
    {
        _options.MaxBatchSize = 3;
        var recorder = CreateRecorder();
        for (var i = 0; i < 7; i++)
        {
            recorder.Record(Sample(i));
        }

        for (var tick = 0; tick < 4; tick++)
        {
            Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        }

        Assert.Equal([[0, 1, 2], [3, 4, 5], [6]], _store.SampleBatches.Select(Numbers));
        Assert.Equal(0, recorder.QueuedSamples);
    }

    [Fact]
    public async Task Record_QueueFull_DropsOldestAndCountsThem()
    {
        _options.SampleQueueCapacity = 5;
        _options.EventQueueCapacity = 2;
        var recorder = CreateRecorder();

        for (var i = 0; i < 8; i++)
        {
            Assert.True(recorder.Record(Sample(i)));
            Assert.True(recorder.Record(Event(i)));
        }

        Assert.Equal(3, recorder.DroppedSamples);
        Assert.Equal(new HealthDrops(3, 0, 0), recorder.SampleDrops);
        Assert.Equal(6, recorder.DroppedEvents);
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.Equal([3, 4, 5, 6, 7], Numbers(Assert.Single(_store.SampleBatches)));
        Assert.Equal(["event 6", "event 7"], Assert.Single(_store.EventBatches).Select(e => e.Reason));
    }

    [Fact]
    public async Task Record_StoreStalled_NeverBlocksAndKeepsNewest()
    {
        _options.SampleQueueCapacity = 10;
        var recorder = CreateRecorder();
        _store.Stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        recorder.Record(Sample(0));
        var flush = recorder.FlushOnceAsync(CancellationToken.None); // stuck in the store

        // Every Record returns at once while the writer is stuck; the queue keeps the newest 10.
        for (var i = 1; i <= 1000; i++)
        {
            Assert.True(recorder.Record(Sample(i)));
        }

        Assert.False(flush.IsCompleted);
        Assert.Equal(990, recorder.DroppedSamples);
        Assert.Equal(10, recorder.QueuedSamples);

        _store.Stall.SetResult();
        _store.Stall = null;
        Assert.True(await flush);
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.Equal([[0], Enumerable.Range(991, 10).ToArray()], _store.SampleBatches.Select(Numbers));
    }

    [Fact]
    public void Record_QueueFullForLong_WarnsAtMostOncePerTenSecondsWithTheCount()
    {
        _options.SampleQueueCapacity = 1;
        var recorder = CreateRecorder();

        for (var i = 0; i < 5; i++)
        {
            recorder.Record(Sample(i)); // 4 drops
        }

        _clock.Advance(TimeSpan.FromSeconds(9));
        recorder.Record(Sample(5));
        Assert.Equal(["1 of 1"], LoggedDrops());

        _clock.Advance(TimeSpan.FromSeconds(1));
        recorder.Record(Sample(6));
        Assert.Equal(["1 of 1", "5 of 6"], LoggedDrops());
        Assert.Equal(6, recorder.DroppedSamples);
    }

    [Fact]
    public async Task FlushOnceAsync_StoreFailsTwice_RetriesSameBatchThenWritesIt()
    {
        var recorder = CreateRecorder();
        _store.Failures.Enqueue(new TimeoutException("store timeout"));
        _store.Failures.Enqueue(new InvalidOperationException("connection reset"));
        recorder.Record(Sample(0));
        recorder.Record(Sample(1));

        Assert.False(await recorder.FlushOnceAsync(CancellationToken.None));
        recorder.Record(Sample(2)); // queued behind the failing batch
        Assert.False(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));

        Assert.Equal([[0, 1], [2]], _store.SampleBatches.Select(Numbers));
        Assert.Equal(0, recorder.DroppedSamples);
        Assert.Equal(2, LogCount(351));
    }

    [Fact]
    public async Task FlushOnceAsync_StoreKeepsFailing_DropsBatchAfterMaxAttemptsAndMovesOn()
    {
        _options.MaxWriteAttempts = 3;
        var recorder = CreateRecorder();
        for (var i = 0; i < 3; i++)
        {
            _store.Failures.Enqueue(new TimeoutException("down"));
        }

        recorder.Record(Sample(0));
        recorder.Record(Sample(1));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.False(await recorder.FlushOnceAsync(CancellationToken.None));
        }

        Assert.Equal(new HealthDrops(0, 2, 0), recorder.SampleDrops);
        Assert.Equal(1, LogCount(352));

        recorder.Record(Sample(2));
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.Equal([2], Numbers(Assert.Single(_store.SampleBatches)));
    }

    [Fact]
    public async Task FlushOnceAsync_RowsOfDeletedPath_DropsThoseAndWritesTheRestAtOnce()
    {
        var recorder = CreateRecorder();
        recorder.Record(Sample(0));
        recorder.Record(Sample(1, "gone"));
        recorder.Record(Sample(2, "p2"));
        recorder.Record(Sample(3, "gone"));
        recorder.Record(Event(0, "gone"));
        recorder.Record(Event(1));

        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));

        Assert.Equal([0, 2], Numbers(Assert.Single(_store.SampleBatches)));
        Assert.Equal(["event 1"], Assert.Single(_store.EventBatches).Select(e => e.Reason));
        Assert.Equal(new HealthDrops(0, 0, 2), recorder.SampleDrops);
        Assert.Equal(new HealthDrops(0, 0, 1), recorder.EventDrops);
    }

    [Fact]
    public async Task FlushOnceAsync_OnlyRowsOfDeletedPath_DropsThemWithoutWriting()
    {
        var recorder = CreateRecorder();
        recorder.Record(Sample(0, "gone"));

        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));

        Assert.Empty(_store.SampleBatches);
        Assert.Equal(1, recorder.SampleDrops.UnknownPath);
    }

    [Fact]
    public async Task RunAsync_StoreThrows_LoopCarriesOnAndWritesOnNextTick()
    {
        var recorder = CreateRecorder();
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        _store.Failures.Enqueue(new TimeoutException("blip"));
        recorder.Record(Sample(0));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("samples", await _store.NextFinishedAsync());
        Assert.Empty(_store.SampleBatches);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("samples", await _store.NextFinishedAsync());
        Assert.False(run.IsCompleted);

        await stop.CancelAsync();
        await run;
        Assert.Equal([0], Numbers(Assert.Single(_store.SampleBatches)));
    }

    [Fact]
    public async Task RunAsync_Cancelled_DrainsEverythingQueuedThenRefusesNewEntries()
    {
        _options.MaxBatchSize = 2;
        var recorder = CreateRecorder();
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        for (var i = 0; i < 5; i++)
        {
            recorder.Record(Sample(i));
        }

        recorder.Record(Event(0));

        await stop.CancelAsync();
        await run;

        Assert.Equal([[0, 1], [2, 3], [4]], _store.SampleBatches.Select(Numbers));
        Assert.Single(_store.EventBatches);
        Assert.False(recorder.Record(Sample(9)));
        Assert.False(recorder.Record(Event(9)));
        Assert.Equal(0, LogCount(355));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileStoreFails_StopsDrainAtFirstFailureAndLogsWhatIsLeft()
    {
        var recorder = CreateRecorder();
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        for (var i = 0; i < 10; i++)
        {
            _store.Failures.Enqueue(new TimeoutException("down"));
        }

        recorder.Record(Sample(0));
        recorder.Record(Sample(1));

        await stop.CancelAsync();
        await run;

        Assert.Equal(1, _store.WriteCalls);
        Assert.Empty(_store.SampleBatches);
        Assert.Equal(["Shutdown left 2 health samples and 0 events unwritten"], LogMessages(355));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileStoreStalls_GivesUpAfterShutdownTimeout()
    {
        var recorder = CreateRecorder();
        _store.Stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        recorder.Record(Sample(0));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("samples", await _store.NextStartedAsync()); // the write hangs
        await stop.CancelAsync(); // cancels the hung write; the drain retries it and hangs again
        Assert.Equal("samples", await _store.NextStartedAsync());

        _clock.Advance(_options.ShutdownTimeout);
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(_store.SampleBatches);
        Assert.Equal(1, LogCount(355));
    }

    [Fact]
    public void Transition_AsHealthSink_RecordsEventWithTheMeasurementsThatCausedIt()
    {
        var recorder = CreateRecorder();
        IHealthSink sink = recorder;
        var before = new PathHealthSnapshot("p1", 20, 0, 1, 100, PathStatus.Up, s_t0, 1, 1, 1, "ok");
        var after = new PathHealthSnapshot("p1", 20, 100, 1, 0, PathStatus.Down, s_t0.AddSeconds(3), 0, 1, 1, "loss 100.0 % > 5 %");

        sink.Transition(null, before);
        sink.Transition(before, after);
        sink.Sample(after.ToSample(s_t0.AddSeconds(4)));

        Assert.Equal(2, recorder.QueuedEvents);
        Assert.Equal(1, recorder.QueuedSamples);
    }

    [Fact]
    public async Task Transition_AsHealthSink_StoredEventCarriesFromToAndMeasurements()
    {
        var recorder = CreateRecorder();
        var before = new PathHealthSnapshot("p1", 20, 0, 1, 100, PathStatus.Up, s_t0, 1, 1, 1, "ok");
        var after = new PathHealthSnapshot("p1", 25, 100, 2, 0, PathStatus.Down, s_t0.AddSeconds(3), 0, 1, 1, "loss 100.0 % > 5 %");
        ((IHealthSink)recorder).Transition(before, after);

        await recorder.FlushOnceAsync(CancellationToken.None);

        Assert.Equal(new PathStatusEvent("p1", s_t0.AddSeconds(3), PathStatus.Up, PathStatus.Down, 0, 25, 100, 2, "loss 100.0 % > 5 %"),
            Assert.Single(Assert.Single(_store.EventBatches)));
    }

    private int LogCount(int eventId) => _log.Collector.GetSnapshot().Count(e => e.Id.Id == eventId);

    private List<string> LogMessages(int eventId) => [.. _log.Collector.GetSnapshot().Where(e => e.Id.Id == eventId).Select(e => e.Message)];

    /// <summary>Queue-full warnings as "dropped-since of total".</summary>
    private List<string> LoggedDrops() =>
        [.. _log.Collector.GetSnapshot().Where(e => e.Id.Id == 350)
            .Select(e => $"{e.StructuredState!.First(kv => kv.Key == "Dropped").Value} of {e.StructuredState!.First(kv => kv.Key == "Total").Value}")];
}
