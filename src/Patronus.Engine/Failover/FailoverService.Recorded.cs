using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Failover;

/// <summary>
/// Durable before acknowledged: an API write of a policy awaits <see cref="PoliciesRecordedAsync"/>
/// before it answers, so the events its change causes (a toggle's <c>enabled</c>/<c>disabled</c>, a
/// failover the new settings trigger at once) are in the store when the caller hears "done".
/// </summary>
public sealed partial class FailoverService
{
    /// <summary>Longest an API write waits for its events to be written; past it the answer goes out anyway and a warning is logged (the store is failing).</summary>
    public static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(5);

    // One waiter per API policy write in flight; writes are operator-only and serialised by the
    // policy service, so 256 is far beyond any real backlog. A full channel makes the writer wait.
    private readonly Channel<TaskCompletionSource> _syncWaiters = Channel.CreateBounded<TaskCompletionSource>(
        new BoundedChannelOptions(256) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>
    /// Completes once the loop has taken in the policies as they are at the call and every event
    /// that produced is in the store. False when that took longer than <see cref="RecordTimeout"/>.
    /// </summary>
    public async Task<bool> PoliciesRecordedAsync(CancellationToken cancellationToken)
    {
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var started = Time.GetTimestamp();
            await _syncWaiters.Writer.WriteAsync(synced, cancellationToken).ConfigureAwait(false);
            await synced.Task.WaitAsync(RecordTimeout, Time, cancellationToken).ConfigureAwait(false);
            // Events are written in order: the last one queued by now covers the ones this sync emitted.
            var left = RecordTimeout - Time.GetElapsedTime(started);
            await _recorder.WhenQueuedWrittenAsync().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            LogRecordTimeout(_logger, RecordTimeout.TotalSeconds);
            return false;
        }
    }

    /// <summary>The waiters queued so far; null (no allocation) when there are none, as on almost every iteration.</summary>
    private List<TaskCompletionSource>? TakeSyncWaiters()
    {
        List<TaskCompletionSource>? waiters = null;
        while (_syncWaiters.Reader.TryRead(out var waiter))
        {
            (waiters ??= []).Add(waiter);
        }

        return waiters;
    }

    private static void ReleaseSyncWaiters(List<TaskCompletionSource>? waiters)
    {
        foreach (var waiter in waiters ?? [])
        {
            waiter.TrySetResult();
        }
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "A policy change's events were not written within {Seconds} s; answering anyway")]
    private static partial void LogRecordTimeout(ILogger logger, double seconds);
}
