using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;
using Patronus.Engine.Storage;

namespace Patronus.Engine.Failover;

/// <summary>
/// Persists failover events without ever making a decision wait: the failover loop hands each
/// event to a bounded channel (<see cref="Enqueue"/> never blocks), and this loop writes them in
/// batches, one transaction each. A failed write is retried with the same batch (nothing is lost
/// while the store recovers); on shutdown the channel is drained before the store closes. Whoever
/// must not answer before an event is durable (an API write) awaits <see cref="WhenQueuedWrittenAsync"/>.
/// Every <see cref="RetentionInterval"/> it also deletes the events older than
/// <see cref="FailoverOptions.EventRetention"/> (the first time one interval after start, when the
/// store has long been migrated).
/// Both are the leader's work (docs/ha.md): on a follower a batch is completed unwritten (the
/// leader, deciding from its own health view, writes its own events) and retention is skipped; a
/// batch the store refuses as fenced is not retried.
/// </summary>
public sealed partial class FailoverEventRecorder : BackgroundService
{
    // Switches are rare and dampened: 65,536 events is hours of the worst flapping with the store
    // down. Beyond that an event is dropped (counted, logged) rather than blocking a decision.
    private const int Capacity = 65_536;
    private const int BatchSize = 256;

    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(1);

    /// <summary>How often expired events are deleted: hourly, so the table holds at most an hour past its retention.</summary>
    public static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    private readonly IFailoverStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<FailoverEventRecorder> _logger;
    private readonly TimeSpan _retention;
    private readonly ILeadership _leadership;
    private readonly Channel<Queued> _queue = Channel.CreateBounded<Queued>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _enqueueLock = new();
    private Task<bool> _lastQueued = Task.FromResult(true);
    private long _dropped;
    private long _written;

    public FailoverEventRecorder(IFailoverStore store, TimeProvider time, ILogger<FailoverEventRecorder> logger, IOptions<FailoverOptions>? options = null,
        ILeadership? leadership = null)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _retention = (options?.Value ?? new FailoverOptions()).EventRetention;
        _leadership = leadership ?? Leadership.SingleNode(nameof(FailoverEventRecorder), time);
    }

    /// <summary>
    /// For each of <paramref name="policyIds"/> that has one, the newest stored event that set its
    /// active path (a failover, a failback, a disable), looked for among its last 50 events.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, FailoverEventRecord>> LastActivePathEventsAsync(IEnumerable<long> policyIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyIds);
        var result = new Dictionary<long, FailoverEventRecord>();
        foreach (var id in policyIds)
        {
            var events = await _store.GetFailoverEventsAsync(id, DateTimeOffset.UnixEpoch, 50, cancellationToken).ConfigureAwait(false);
            if (events.FirstOrDefault(e => e.Event.Type is FailoverEventType.FailoverTriggered or FailoverEventType.FailbackCompleted or FailoverEventType.PolicyDisabled) is { } last)
            {
                result[id] = last;
            }
        }

        return result;
    }

    /// <summary>Events not written because this instance was not the leader (or the store fenced the batch).</summary>
    public long NotLeader => Interlocked.Read(ref _notLeader);

    private long _notLeader;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    /// <summary>
    /// Queues an event; never blocks. The task completes when the event is in the store (true), or
    /// was dropped because the queue is full or given up at shutdown (false).
    /// </summary>
    public Task<bool> Enqueue(FailoverEventRecord record)
    {
        var written = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_enqueueLock)
        {
            if (_queue.Writer.TryWrite(new Queued(record, written)))
            {
                _lastQueued = written.Task;
                return written.Task;
            }
        }

        Interlocked.Increment(ref _dropped);
        LogDropped(_logger, record.Event.PolicyId, record.Event.Type);
        written.TrySetResult(false);
        return written.Task;
    }

    /// <summary>Completes when every event queued before the call is in the store (or was given up at shutdown): events are written in order.</summary>
    public Task WhenQueuedWrittenAsync()
    {
        lock (_enqueueLock)
        {
            return _lastQueued;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = ExpireLoopAsync(stoppingToken);
        var batch = new List<Queued>(BatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await WriteAvailableAsync(batch, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Drain on shutdown: every decided event reaches the store if it answers at all.
        await WriteAvailableAsync(batch, CancellationToken.None, attempts: 3).ConfigureAwait(false);
        await retention.ConfigureAwait(false);
    }

    /// <summary>Deletes the events past retention every <see cref="RetentionInterval"/> until stopped; a failed pass is logged and retried at the next.</summary>
    private async Task ExpireLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RetentionInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!_leadership.IsLeader)
                {
                    continue;
                }

                try
                {
                    var deleted = await _store.DeleteFailoverEventsBeforeAsync(_time.GetUtcNow() - _retention, stoppingToken).ConfigureAwait(false);
                    LogExpired(_logger, deleted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogExpireFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Writes the queue out in batches. A batch whose write was cancelled (shutdown mid-write: the
    /// transaction rolled back) stays in <paramref name="batch"/> and is written first by the next
    /// call — the drain — instead of being lost.
    /// </summary>
    private async Task WriteAvailableAsync(List<Queued> batch, CancellationToken ct, int attempts = int.MaxValue)
    {
        while (true)
        {
            // A batch whose write was cancelled by shutdown is still here and goes first.
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var queued))
            {
                batch.Add(queued);
            }

            if (batch.Count == 0)
            {
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                if (!_leadership.IsLeader)
                {
                    Interlocked.Add(ref _notLeader, batch.Count);
                    Complete(batch, written: false);
                    break;
                }

                try
                {
                    var result = await _store.InsertFailoverEventsAsync([.. batch.Select(q => q.Record)], ct).ConfigureAwait(false);
                    if (result.Status == StoreStatus.Fenced)
                    {
                        Interlocked.Add(ref _notLeader, batch.Count);
                        Complete(batch, written: false);
                        break;
                    }

                    Interlocked.Add(ref _written, batch.Count);
                    Complete(batch, written: true);
                    break;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // the store may be down: keep the batch and retry
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogWriteFailed(_logger, batch.Count, ex);
                    if (attempt >= attempts)
                    {
                        Complete(batch, written: false);
                        while (_queue.Reader.TryRead(out var left))
                        {
                            left.Written.TrySetResult(false);
                        }

                        return;
                    }

                    await Task.Delay(s_retry, _time, ct).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Tells the waiters of <paramref name="batch"/> how it went, and empties it.</summary>
    private static void Complete(List<Queued> batch, bool written)
    {
        foreach (var queued in batch)
        {
            queued.Written.TrySetResult(written);
        }

        batch.Clear();
    }

    /// <summary>An event and who waits for it to be written.</summary>
    private readonly record struct Queued(FailoverEventRecord Record, TaskCompletionSource<bool> Written);

    [LoggerMessage(EventId = 5100, Level = LogLevel.Error, Message = "Failover event queue full: event {Type} of policy {PolicyId} dropped")]
    private static partial void LogDropped(ILogger logger, long policyId, FailoverEventType type);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Writing {Count} failover events failed; retrying")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Failover event retention: {Deleted} expired events deleted")]
    private static partial void LogExpired(ILogger logger, long deleted);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Deleting expired failover events failed; retrying at the next interval")]
    private static partial void LogExpireFailed(ILogger logger, Exception exception);
}
