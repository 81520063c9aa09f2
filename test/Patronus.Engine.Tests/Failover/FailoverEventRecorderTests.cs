using System.Net;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;
using Patronus.Engine.Tests.TestSupport;
using Patronus.Persistence;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Failover;

/// <summary>The recorder's retention of failover events, on a real SQLite file and a fake clock.</summary>
public sealed class FailoverEventRecorderTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(s_now);
    private SqliteStoreWithPath _db = null!;
    private SqlStore _store = null!;
    private long _policyId;

    public async Task InitializeAsync()
    {
        _db = await SqliteStoreWithPath.CreateAsync(_clock);
        _store = _db.Store;
        var (result, id) = await _store.InsertFailoverPolicyAsync(new FailoverPolicy(0, "to-dc", "p1", [], 50, 80, TimeSpan.FromSeconds(60), true,
            [IPNetwork.Parse("10.99.0.0/16")], ItemSource.Api));
        Assert.True(result.Succeeded, result.Message);
        _policyId = id;
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private FailoverEventRecord Event(DateTimeOffset at) =>
        new(new FailoverEvent(_policyId, FailoverEventType.FailoverTriggered, "p1", null, "score 12 < 50", at), null);

    private async Task<DateTimeOffset[]> EventTimesAsync() =>
        (await _store.GetFailoverEventsAsync(null, DateTimeOffset.UnixEpoch, 100)).Select(e => e.Event.Timestamp).Order().ToArray();

    [Fact]
    public async Task ExecuteAsync_ClockPassesRetentionInterval_DeletesEventsPastRetention()
    {
        var expired = s_now.AddDays(-91);
        var expiresInTwoDays = s_now.AddDays(-89);
        var recent = s_now.AddDays(-1);
        Assert.True((await _store.InsertFailoverEventsAsync([Event(expired), Event(expiresInTwoDays), Event(recent)])).Succeeded);
        using var recorder = new FailoverEventRecorder(_store, _clock, NullLogger<FailoverEventRecorder>.Instance, Options.Create(new FailoverOptions()));

        // ExecuteAsync runs on the thread pool: an event it has written shows that its retention timer
        // (armed first) exists, so the clock can be moved. Nothing is deleted before the first interval.
        await recorder.StartAsync(CancellationToken.None);
        _ = recorder.Enqueue(Event(s_now));
        await Poll.AssertAsync(() => recorder.Written == 1, TimeSpan.FromSeconds(10), "the recorder writes a queued event");
        Assert.Equal([expired, expiresInTwoDays, recent, s_now], await EventTimesAsync());

        _clock.Advance(FailoverEventRecorder.RetentionInterval);
        await Poll.AssertAsync(async () => (await EventTimesAsync()).Length == 3, TimeSpan.FromSeconds(10), "an hour after start, the event older than 90 days is deleted");
        Assert.Equal([expiresInTwoDays, recent, s_now], await EventTimesAsync());

        _clock.Advance(TimeSpan.FromDays(2));
        await Poll.AssertAsync(async () => (await EventTimesAsync()).Length == 2, TimeSpan.FromSeconds(10), "two days later the next one has turned 90 days old");
        Assert.Equal([recent, s_now], await EventTimesAsync());
        await recorder.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task StopAsync_WriteInFlight_TheCancelledBatchIsWrittenByTheDrain()
    {
        var stalling = StallingStore.Over(_store);
        using var recorder = new FailoverEventRecorder(stalling.Store, TimeProvider.System, NullLogger<FailoverEventRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        var record = Event(s_now);

        var written = recorder.Enqueue(record);
        await stalling.FirstWrite.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await recorder.StopAsync(CancellationToken.None); // cancels the stalled write mid-transaction

        Assert.Equal(2, stalling.Calls);
        Assert.Equal(1, recorder.Written);
        Assert.True(await written);
        Assert.Equal(record.Event, Assert.Single(await _store.GetFailoverEventsAsync(_policyId, DateTimeOffset.UnixEpoch, 10)).Event);
    }

    /// <summary>The real store, except that the first event write hangs until it is cancelled (a store stalled at shutdown).</summary>
    public class StallingStore : DispatchProxy
    {
        private IFailoverStore _inner = null!;
        private int _calls;

        public IFailoverStore Store { get; private set; } = null!;

        public TaskCompletionSource FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public static StallingStore Over(IFailoverStore inner)
        {
            var store = Create<IFailoverStore, StallingStore>();
            var proxy = (StallingStore)(object)store;
            proxy._inner = inner;
            proxy.Store = store;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IFailoverStore.InsertFailoverEventsAsync) && Interlocked.Increment(ref _calls) == 1)
            {
                FirstWrite.TrySetResult();
                return StallAsync((CancellationToken)args![1]!);
            }

            return targetMethod.Invoke(_inner, args);
        }

        private static async Task<StoreResult> StallAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return StoreResult.Ok;
        }
    }
}
