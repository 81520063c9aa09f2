using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Engine.Health;

/// <summary>
/// The bounded queues between the health monitor and the store. <see cref="Record(PathHealthSample)"/>
/// and <see cref="Record(PathStatusEvent)"/> never block and never throw: when the store stalls
/// long enough to fill a queue, the oldest entries are dropped, counted and logged (at most once per
/// 10 s), because current measurements matter more than old ones and probing must never wait on a
/// disk. One writer loop (<see cref="RunAsync"/>) owns everything else: every
/// <see cref="HealthPersistenceOptions.FlushInterval"/> it moves the queued samples into per-path
/// 10-second buckets in memory (<see cref="HealthBucketAggregator"/>), and writes up to
/// <see cref="HealthPersistenceOptions.MaxBatchSize"/> finished buckets and events (and, with
/// <see cref="HealthPersistenceOptions.RawSamples"/>, raw samples), one transaction per batch. A
/// bucket is finished once its 10 s are over (plus one flush interval for samples still on their
/// way); at shutdown the open buckets are written as they are, and the store merges a bucket
/// written in parts. So a crash (kill -9) loses at most the open 10 s of buckets, and under a
/// second of status events and raw samples.
/// <list type="bullet">
/// <item>A failed batch is kept and retried on the next tick; after
/// <see cref="HealthPersistenceOptions.MaxWriteAttempts"/> attempts it is dropped and counted, so one
/// bad batch cannot hold back the queue for ever. Meanwhile new entries wait in the queue.</item>
/// <item>A batch rejected with <see cref="StoreStatus.MissingReference"/> (its path was deleted after
/// the sample was taken) loses the entries of paths the store no longer has (counted as
/// <see cref="HealthDrops.UnknownPath"/>) and the rest is written at once.</item>
/// <item>Persisting history is the leader's work (docs/ha.md): on a follower every batch is discarded
/// when it is due (counted in <see cref="NotLeader"/>) — the aggregation into buckets goes on, so a
/// follower that takes over writes its buckets from then on — and a batch the store refuses as
/// fenced (the lease was lost meanwhile) is discarded the same way, never retried.</item>
/// <item>On shutdown the loop writes what is still queued, bounded by
/// <see cref="HealthPersistenceOptions.ShutdownTimeout"/> and stopping at the first failure.</item>
/// </list>
/// </summary>
public sealed partial class HealthRecorder : BackgroundService, IHealthSink
{
    /// <summary>Queue-full drops are logged at most this often, with the count since the last warning.</summary>
    internal static readonly TimeSpan DropWarningInterval = TimeSpan.FromSeconds(10);

    private readonly IHealthHistoryStore _store;
    private readonly ITopologyStore _topology;
    private readonly HealthPersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lane<PathHealthSample> _samples;
    private readonly Lane<PathHealthBucket> _buckets;
    private readonly Lane<PathStatusEvent> _events;
    private readonly HealthBucketAggregator _aggregator = new();
    private readonly List<PathHealthBucket> _finished = [];
    private readonly Cluster.ILeadership? _leadership;
    private long _bucketSamplesWritten;
    private long _notLeader;

    public HealthRecorder(IHealthHistoryStore store, ITopologyStore topology, IOptions<HealthPersistenceOptions> options, TimeProvider timeProvider, ILogger<HealthRecorder> logger,
        Cluster.ILeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        new HealthPersistenceOptionsValidator().ThrowIfInvalid(options.Value);
        _store = store;
        _topology = topology;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _leadership = leadership;
        _samples = new Lane<PathHealthSample>(this, "samples", _options.SampleQueueCapacity, s => s.PathId, _store.InsertPathHealthAsync);
        // The loop writes finished buckets here; at 10,000 paths the default holds 100 s of them.
        _buckets = new Lane<PathHealthBucket>(this, "buckets", _options.SampleQueueCapacity, b => b.PathId, _store.InsertPathHealthBucketsAsync);
        _events = new Lane<PathStatusEvent>(this, "events", _options.EventQueueCapacity, e => e.PathId, _store.InsertPathEventsAsync);
    }

    /// <summary>
    /// Samples written to the store: raw rows with <see cref="HealthPersistenceOptions.RawSamples"/>,
    /// otherwise the samples counted by the 10-second buckets written.
    /// </summary>
    public long WrittenSamples => _options.RawSamples ? Volatile.Read(ref _samples.Written) : Volatile.Read(ref _bucketSamplesWritten);

    /// <summary>Samples, buckets and events not written because this instance was not the leader (or the store fenced the batch).</summary>
    public long NotLeader => Interlocked.Read(ref _notLeader);

    /// <summary>10-second buckets written to the store.</summary>
    public long WrittenBuckets => Volatile.Read(ref _buckets.Written);

    /// <summary>10-second buckets lost, by reason.</summary>
    public HealthDrops BucketDrops => _buckets.Drops;

    /// <summary>Events written to the store.</summary>
    public long WrittenEvents => Volatile.Read(ref _events.Written);

    /// <summary>Samples lost, for any reason (see <see cref="SampleDrops"/>).</summary>
    public long DroppedSamples => _samples.Drops.Total;

    /// <summary>Events lost, for any reason (see <see cref="EventDrops"/>).</summary>
    public long DroppedEvents => _events.Drops.Total;

    /// <summary>Samples lost, by reason.</summary>
    public HealthDrops SampleDrops => _samples.Drops;

    /// <summary>Events lost, by reason.</summary>
    public HealthDrops EventDrops => _events.Drops;

    /// <summary>Samples waiting in the queue (not counting a batch being written or retried).</summary>
    public int QueuedSamples => _samples.Channel.Reader.Count;

    /// <summary>Events waiting in the queue (not counting a batch being written or retried).</summary>
    public int QueuedEvents => _events.Channel.Reader.Count;

    /// <summary>
    /// Queues a sample for the next batch. Never blocks, never throws. When the queue is full the
    /// oldest queued sample is dropped to make room (and counted). False only after shutdown began.
    /// </summary>
    public bool Record(PathHealthSample sample) => sample is not null && _samples.Channel.Writer.TryWrite(sample);

    /// <summary>Queues a status event; same contract as <see cref="Record(PathHealthSample)"/>.</summary>
    public bool Record(PathStatusEvent statusEvent) => statusEvent is not null && _events.Channel.Writer.TryWrite(statusEvent);

    void IHealthSink.Sample(PathHealthSample sample) => Record(sample);

    void IHealthSink.Transition(PathHealthSnapshot? previous, PathHealthSnapshot current)
    {
        if (current is null)
        {
            return;
        }

        Record(new PathStatusEvent(current.PathId, current.LastChecked ?? _time.GetUtcNow(), previous?.Status, current.Status,
            current.HealthScore, current.LatencyMs, current.PacketLossPct, current.JitterMs, current.Reason));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(stoppingToken);

    /// <summary>
    /// The writer loop: flushes every <see cref="HealthPersistenceOptions.FlushInterval"/> until
    /// <paramref name="cancellationToken"/> is cancelled, then drains. Run it once (the hosted
    /// service does); the timer is created before the first await, so a test clock may move at once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // the loop must outlive any one failure; only cancellation ends it
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.FlushFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// One tick: writes at most one batch of samples and one of events. Returns false when a write
    /// failed (the batch is kept for the next tick). Called only by the loop (or a test in its place).
    /// </summary>
    internal async Task<bool> FlushOnceAsync(CancellationToken cancellationToken) => await FlushOnceAsync(final: false, cancellationToken).ConfigureAwait(false);

    private async Task<bool> FlushOnceAsync(bool final, CancellationToken cancellationToken)
    {
        var samplesOk = true;
        if (_options.RawSamples)
        {
            samplesOk = await FlushLaneAsync(_samples, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The queue is bounded, so this loop is too; the samples only feed the buckets.
            while (_samples.Channel.Reader.TryRead(out var sample))
            {
                _aggregator.Add(sample, _finished);
            }
        }

        if (final)
        {
            _aggregator.TakeAll(_finished);
        }
        else
        {
            _aggregator.TakeEnded(_time.GetUtcNow() - _options.FlushInterval, _finished);
        }

        foreach (var bucket in _finished)
        {
            _buckets.Channel.Writer.TryWrite(bucket);
        }

        _finished.Clear();
        var bucketsOk = await FlushLaneAsync(_buckets, cancellationToken).ConfigureAwait(false);
        var eventsOk = await FlushLaneAsync(_events, cancellationToken).ConfigureAwait(false);
        return samplesOk && bucketsOk && eventsOk;
    }

    private async Task DrainAsync()
    {
        // From here on Record returns false: nothing queued after the drain could be written anyway.
        _samples.Channel.Writer.TryComplete();
        _events.Channel.Writer.TryComplete();
        using var deadline = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        try
        {
            while (_samples.HasWork || _buckets.HasWork || _aggregator.OpenBuckets > 0 || _events.HasWork)
            {
                if (!await FlushOnceAsync(final: true, deadline.Token).ConfigureAwait(false))
                {
                    break; // the store is failing: don't spend the shutdown retrying it
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        var left = _samples.Backlog + _aggregator.PendingSamples + _buckets.Backlog;
        var leftEvents = _events.Backlog;
        if (left > 0 || leftEvents > 0)
        {
            Log.ShutdownAbandoned(_logger, left, leftEvents);
        }
    }

    private async Task<bool> FlushLaneAsync<T>(Lane<T> lane, CancellationToken cancellationToken)
    {
        if (lane.Batch is null)
        {
            lane.Batch = lane.Take(_options.MaxBatchSize);
            if (lane == (object)_samples)
            {
                // Raw samples feed the buckets too, once, when taken (a retried batch is not re-counted).
                foreach (var sample in (List<PathHealthSample>)(object)lane.Batch)
                {
                    _aggregator.Add(sample, _finished);
                }
            }
        }

        if (lane.Batch.Count == 0)
        {
            lane.Batch = null;
            return true;
        }

        var result = _leadership is { IsLeader: false } ? new(StoreStatus.Fenced, "not the leader") : await WriteAsync(lane, cancellationToken).ConfigureAwait(false);
        if (result.Status == StoreStatus.Fenced)
        {
            Interlocked.Add(ref _notLeader, lane.Batch.Count);
            lane.Batch = null;
            lane.Attempts = 0;
            return true;
        }

        if (result.Status == StoreStatus.MissingReference)
        {
            result = await DropUnknownPathsAndRetryAsync(lane, result, cancellationToken).ConfigureAwait(false);
        }

        if (result.Status == StoreStatus.Ok)
        {
            Interlocked.Add(ref lane.Written, lane.Batch.Count);
            if (lane == (object)_buckets)
            {
                long samples = 0;
                foreach (var bucket in (List<PathHealthBucket>)(object)lane.Batch)
                {
                    samples += bucket.Samples;
                }

                Interlocked.Add(ref _bucketSamplesWritten, samples);
            }

            lane.Batch = null;
            lane.Attempts = 0;
            return true;
        }

        lane.Attempts++;
        if (lane.Attempts >= _options.MaxWriteAttempts)
        {
            Interlocked.Add(ref lane.DroppedWriteFailed, lane.Batch.Count);
            Log.BatchDropped(_logger, lane.Kind, lane.Batch.Count, lane.Attempts, result.Reason);
            lane.Batch = null;
            lane.Attempts = 0;
        }
        else
        {
            Log.BatchFailed(_logger, lane.Kind, lane.Batch.Count, lane.Attempts, _options.MaxWriteAttempts, result.Reason);
        }

        return false;
    }

    private static async Task<WriteOutcome> WriteAsync<T>(Lane<T> lane, CancellationToken cancellationToken)
    {
        try
        {
            var result = await lane.Write(lane.Batch!, cancellationToken).ConfigureAwait(false);
            return new(result.Status, result.Message ?? result.Status.ToString());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the batch stays pending; the drain writes it
        }
#pragma warning disable CA1031 // a store exception is a failed attempt, retried like any other
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new(null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task<WriteOutcome> DropUnknownPathsAndRetryAsync<T>(Lane<T> lane, WriteOutcome rejected, CancellationToken cancellationToken)
    {
        HashSet<string> known;
        try
        {
            var topology = await _topology.LoadTopologyAsync(cancellationToken).ConfigureAwait(false);
            known = topology.Paths.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // could not tell which paths are gone: count it as a failed attempt
        catch (Exception)
#pragma warning restore CA1031
        {
            return rejected;
        }

        var batch = lane.Batch!;
        var kept = batch.Where(x => known.Contains(lane.PathOf(x))).ToList();
        var unknown = batch.Count - kept.Count;
        if (unknown == 0)
        {
            return rejected; // a path came back or vanished in between: retry on the next tick
        }

        Interlocked.Add(ref lane.DroppedUnknownPath, unknown);
        var gone = string.Join(", ", batch.Select(lane.PathOf).Where(id => !known.Contains(id)).Distinct(StringComparer.Ordinal).Take(10));
        Log.UnknownPathsDropped(_logger, lane.Kind, unknown, gone);
        lane.Batch = kept;
        return kept.Count == 0 ? new(StoreStatus.Ok, "") : await WriteAsync(lane, cancellationToken).ConfigureAwait(false);
    }

    private void OnQueueFull<T>(Lane<T> lane)
    {
        var total = Interlocked.Increment(ref lane.DroppedQueueFull);
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref lane.LastDropWarning);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < DropWarningInterval)
        {
            return;
        }

        // One producer wins the right to log; the others just count.
        if (Interlocked.CompareExchange(ref lane.LastDropWarning, now, last) != last)
        {
            return;
        }

        var since = total - Interlocked.Exchange(ref lane.DroppedAtLastWarning, total);
        Log.QueueFull(_logger, lane.Kind, since, total, lane.Capacity);
    }

    /// <summary>A write attempt: the store's status, or null when it threw.</summary>
    private readonly record struct WriteOutcome(StoreStatus? Status, string Reason);

    /// <summary>One kind of entry (samples or events): its queue, its pending batch and its counters.</summary>
    private sealed class Lane<T>
    {
        public Lane(HealthRecorder owner, string kind, int capacity, Func<T, string> pathOf, Func<IReadOnlyList<T>, CancellationToken, Task<StoreResult>> write)
        {
            Kind = kind;
            Capacity = capacity;
            PathOf = pathOf;
            Write = write;
            Channel = System.Threading.Channels.Channel.CreateBounded<T>(
                new BoundedChannelOptions(capacity)
                {
                    FullMode = BoundedChannelFullMode.DropOldest,
                    SingleReader = true, // the writer loop
                    SingleWriter = false, // monitor loops, one per shard
                },
                _ => owner.OnQueueFull(this));
        }

        public string Kind { get; }

        public int Capacity { get; }

        public Func<T, string> PathOf { get; }

        public Func<IReadOnlyList<T>, CancellationToken, Task<StoreResult>> Write { get; }

        public Channel<T> Channel { get; }

        // Owned by the writer loop.
        public List<T>? Batch;
        public int Attempts;

        // Written by the loop or producers, read by anyone: Interlocked/Volatile only.
        public long Written;
        public long DroppedQueueFull;
        public long DroppedWriteFailed;
        public long DroppedUnknownPath;
        public long DroppedAtLastWarning;
        public long LastDropWarning = long.MinValue;

        public HealthDrops Drops => new(Volatile.Read(ref DroppedQueueFull), Volatile.Read(ref DroppedWriteFailed), Volatile.Read(ref DroppedUnknownPath));

        public bool HasWork => Batch is not null || Channel.Reader.Count > 0;

        public int Backlog => (Batch?.Count ?? 0) + Channel.Reader.Count;

        public List<T> Take(int max)
        {
            var batch = new List<T>(Math.Min(max, Math.Max(Channel.Reader.Count, 1)));
            while (batch.Count < max && Channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            return batch;
        }
    }

    // EventIds 350–359: health persistence, recorder.
    private static partial class Log
    {
        [LoggerMessage(EventId = 350, Level = LogLevel.Warning, Message = "Health {Kind} queue full (capacity {Capacity}): {Dropped} oldest dropped since the last warning, {Total} in all; the store is not keeping up")]
        public static partial void QueueFull(ILogger logger, string kind, long dropped, long total, int capacity);

        [LoggerMessage(EventId = 351, Level = LogLevel.Warning, Message = "Writing {Count} health {Kind} failed (attempt {Attempt} of {MaxAttempts}), retrying next flush: {Reason}")]
        public static partial void BatchFailed(ILogger logger, string kind, int count, int attempt, int maxAttempts, string reason);

        [LoggerMessage(EventId = 352, Level = LogLevel.Error, Message = "Dropped {Count} health {Kind} after {Attempts} failed writes: {Reason}")]
        public static partial void BatchDropped(ILogger logger, string kind, int count, int attempts, string reason);

        [LoggerMessage(EventId = 353, Level = LogLevel.Information, Message = "Dropped {Count} health {Kind} of paths that no longer exist ({PathIds})")]
        public static partial void UnknownPathsDropped(ILogger logger, string kind, int count, string pathIds);

        [LoggerMessage(EventId = 354, Level = LogLevel.Error, Message = "Health flush failed; the recorder carries on")]
        public static partial void FlushFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 355, Level = LogLevel.Warning, Message = "Shutdown left {Samples} health samples and {Events} events unwritten")]
        public static partial void ShutdownAbandoned(ILogger logger, long samples, int events);
    }
}

/// <summary>Entries a <see cref="HealthRecorder"/> lost, by reason.</summary>
/// <param name="QueueFull">Dropped oldest-first because the queue was full (the store stalled).</param>
/// <param name="WriteFailed">In a batch dropped after <see cref="HealthPersistenceOptions.MaxWriteAttempts"/> failed writes.</param>
/// <param name="UnknownPath">Of a path that no longer existed when written.</param>
public readonly record struct HealthDrops(long QueueFull, long WriteFailed, long UnknownPath)
{
    public long Total => QueueFull + WriteFailed + UnknownPath;
}
