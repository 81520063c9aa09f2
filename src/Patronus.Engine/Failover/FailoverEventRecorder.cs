using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Persistence;

namespace Patronus.Engine.Failover;

/// <summary>
/// Persists failover events without ever making a decision wait: the failover loop hands each
/// event to a bounded channel (<see cref="Enqueue"/> never blocks), and this loop writes them in
/// batches, one transaction each. A failed write is retried with the same batch (nothing is lost
/// while the store recovers); on shutdown the channel is drained before the store closes.
/// </summary>
public sealed partial class FailoverEventRecorder : BackgroundService
{
    // Switches are rare and dampened: 65,536 events is hours of the worst flapping with the store
    // down. Beyond that an event is dropped (counted, logged) rather than blocking a decision.
    private const int Capacity = 65_536;
    private const int BatchSize = 256;

    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(1);

    private readonly IPatronusStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<FailoverEventRecorder> _logger;
    private readonly Channel<FailoverEventRecord> _queue = Channel.CreateBounded<FailoverEventRecord>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private long _dropped;
    private long _written;

    public FailoverEventRecorder(IPatronusStore store, TimeProvider time, ILogger<FailoverEventRecorder> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues an event; never blocks.</summary>
    public void Enqueue(FailoverEventRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
            LogDropped(_logger, record.Event.PolicyId, record.Event.Type);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<FailoverEventRecord>(BatchSize);
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
    }

    /// <summary>
    /// Writes the queue out in batches. A batch whose write was cancelled (shutdown mid-write: the
    /// transaction rolled back) stays in <paramref name="batch"/> and is written first by the next
    /// call — the drain — instead of being lost.
    /// </summary>
    private async Task WriteAvailableAsync(List<FailoverEventRecord> batch, CancellationToken ct, int attempts = int.MaxValue)
    {
        while (true)
        {
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            if (batch.Count == 0)
            {
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _store.InsertFailoverEventsAsync(batch, ct).ConfigureAwait(false);
                    Interlocked.Add(ref _written, batch.Count);
                    batch.Clear();
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
                        batch.Clear(); // given up (shutdown with the store down): the events are lost
                        return;
                    }

                    await Task.Delay(s_retry, _time, ct).ConfigureAwait(false);
                }
            }
        }
    }

    [LoggerMessage(EventId = 5100, Level = LogLevel.Error, Message = "Failover event queue full: event {Type} of policy {PolicyId} dropped")]
    private static partial void LogDropped(ILogger logger, long policyId, FailoverEventType type);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Writing {Count} failover events failed; retrying")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);
}
