using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Failover;
using Patronus.Engine.Persistence;

namespace Patronus.Engine.Tests.Failover;

public sealed class FailoverEventRecorderTests
{
    [Fact]
    public async Task StopAsync_WriteInFlight_TheCancelledBatchIsWrittenByTheDrain()
    {
        await using var store = await TwoLinkStore.CreateAsync();
        var stalling = StallingStore.Over(store.Store);
        using var recorder = new FailoverEventRecorder(stalling.Store, TimeProvider.System, NullLogger<FailoverEventRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        var e = new FailoverEvent(store.PolicyId, FailoverEventType.FailoverTriggered, "p1", "p2", "test", DateTimeOffset.UnixEpoch.AddDays(20_000));

        recorder.Enqueue(new FailoverEventRecord(e, "{}"));
        await stalling.FirstWrite.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await recorder.StopAsync(CancellationToken.None); // cancels the stalled write mid-transaction

        Assert.Equal(2, stalling.Calls);
        Assert.Equal(1, recorder.Written);
        Assert.Equal(e, Assert.Single(await store.Store.GetFailoverEventsAsync(store.PolicyId, DateTimeOffset.UnixEpoch, 10)).Event);
    }

    /// <summary>The real store, except that the first event write hangs until it is cancelled (a store stalled at shutdown).</summary>
    public class StallingStore : DispatchProxy
    {
        private IPatronusStore _inner = null!;
        private int _calls;

        public IPatronusStore Store { get; private set; } = null!;

        public TaskCompletionSource FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public static StallingStore Over(IPatronusStore inner)
        {
            var store = Create<IPatronusStore, StallingStore>();
            var proxy = (StallingStore)(object)store;
            proxy._inner = inner;
            proxy.Store = store;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IPatronusStore.InsertFailoverEventsAsync) && Interlocked.Increment(ref _calls) == 1)
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
