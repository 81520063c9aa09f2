using System.Reflection;
using System.Threading.Channels;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Engine.Tests.Health;

/// <summary>
/// An in-memory store for the recorder's queue logic: of <see cref="IHealthHistoryStore"/> it
/// implements the sample, bucket and event writes (whole batch rejected with MissingReference when a path is
/// unknown, as the real stores do), of <see cref="ITopologyStore"/> the path list, and lets a test
/// stall or fail writes. Built on <see cref="DispatchProxy"/> so members added to the ports need no
/// change here; anything else throws.
/// </summary>
public class FakeHealthStore : DispatchProxy
{
    private readonly Lock _gate = new();

    public IStore Store { get; private set; } = null!;

    /// <summary>Paths the store has.</summary>
    public HashSet<string> Paths { get; } = new(StringComparer.Ordinal) { "p1", "p2" };

    /// <summary>Committed sample batches, in order.</summary>
    public List<IReadOnlyList<PathHealthSample>> SampleBatches { get; } = [];

    /// <summary>Committed 10-second bucket batches, in order.</summary>
    public List<IReadOnlyList<PathHealthBucket>> BucketBatches { get; } = [];

    /// <summary>When set, bucket writes throw.</summary>
    public bool FailBuckets { get; set; }

    /// <summary>Committed event batches, in order.</summary>
    public List<IReadOnlyList<PathStatusEvent>> EventBatches { get; } = [];

    /// <summary>Write calls (attempts) of any kind.</summary>
    public int WriteCalls { get; private set; }

    /// <summary>Each write dequeues one entry: an exception is thrown, null lets the write through. Empty: all succeed.</summary>
    public Queue<Exception?> Failures { get; } = new();

    /// <summary>When set, writes wait for it (a stalled store).</summary>
    public TaskCompletionSource? Stall { get; set; }

    /// <summary>One entry per finished write call ("samples" or "events"), for tests that run the loop.</summary>
    public Channel<string> Finished { get; } = Channel.CreateUnbounded<string>();

    /// <summary>One entry per write call as it begins.</summary>
    public Channel<string> Started { get; } = Channel.CreateUnbounded<string>();

    /// <summary>Both ports the recorder takes, in one fake.</summary>
    public interface IStore : IHealthHistoryStore, ITopologyStore;

    public static FakeHealthStore Create()
    {
        var proxy = Create<IStore, FakeHealthStore>();
        var fake = (FakeHealthStore)(object)proxy;
        fake.Store = proxy;
        return fake;
    }

    /// <summary>Waits for the next finished write; fails the test after 10 s of real time rather than hanging.</summary>
    public async Task<string> NextFinishedAsync() =>
        await Finished.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Waits for the next write to begin; same bound.</summary>
    public async Task<string> NextStartedAsync() =>
        await Started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        nameof(IHealthHistoryStore.InsertPathHealthAsync) => WriteAsync((IReadOnlyList<PathHealthSample>)args![0]!, s => s.PathId, SampleBatches, "samples", (CancellationToken)args[1]!),
        nameof(IHealthHistoryStore.InsertPathEventsAsync) => WriteAsync((IReadOnlyList<PathStatusEvent>)args![0]!, e => e.PathId, EventBatches, "events", (CancellationToken)args[1]!),
        nameof(IHealthHistoryStore.InsertPathHealthBucketsAsync) => Task.FromResult(WriteBuckets((IReadOnlyList<PathHealthBucket>)args![0]!)),
        nameof(ITopologyStore.LoadTopologyAsync) => Task.FromResult(Topology()),
        _ => throw new NotSupportedException($"{targetMethod?.Name} is not faked"),
    };

    /// <summary>
    /// Bucket writes succeed at once (unless a path is unknown) and are not counted in
    /// <see cref="WriteCalls"/> nor in the Started/Finished channels, nor stalled or failed, unless
    /// <see cref="FailBuckets"/>: the sample and event tests keep their exact write sequence.
    /// </summary>
    private StoreResult WriteBuckets(IReadOnlyList<PathHealthBucket> batch)
    {
        lock (_gate)
        {
            if (FailBuckets)
            {
                throw new InvalidOperationException("store down");
            }

            if (batch.Any(b => !Paths.Contains(b.PathId)))
            {
                return new StoreResult(StoreStatus.MissingReference, "a row refers to a path that does not exist");
            }

            BucketBatches.Add(batch.ToList());
            return StoreResult.Ok;
        }
    }

    private TopologySnapshot Topology()
    {
        lock (_gate)
        {
            return new([], [], Paths.Select(id => new PathDefinition(id, id, "l1", null, ["192.0.2.1"], ItemSource.Api)).ToList());
        }
    }

    private async Task<StoreResult> WriteAsync<T>(IReadOnlyList<T> batch, Func<T, string> pathOf, List<IReadOnlyList<T>> committed, string kind, CancellationToken cancellationToken)
    {
        try
        {
            Exception? failure;
            TaskCompletionSource? stall;
            lock (_gate)
            {
                WriteCalls++;
                failure = Failures.Count > 0 ? Failures.Dequeue() : null;
                stall = Stall;
            }

            Started.Writer.TryWrite(kind);

            if (stall is not null)
            {
                await stall.Task.WaitAsync(cancellationToken);
            }

            if (failure is not null)
            {
                throw failure;
            }

            lock (_gate)
            {
                if (batch.Any(x => !Paths.Contains(pathOf(x))))
                {
                    return new StoreResult(StoreStatus.MissingReference, "a row refers to a path that does not exist");
                }

                committed.Add(batch.ToList());
                return StoreResult.Ok;
            }
        }
        finally
        {
            Finished.Writer.TryWrite(kind);
        }
    }
}
