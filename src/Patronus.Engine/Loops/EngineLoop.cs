using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace Patronus.Engine.Loops;

/// <summary>
/// The skeleton of every engine loop (path health, BFD, failover, traffic accounting): one task
/// that owns its feature's mutable state and runs <see cref="IterateAsync"/> until the host stops
/// it. Between iterations it sleeps until the first of: the deadline the iteration asked for, the
/// <see cref="IEngineLoop.Heartbeat"/>, or one of its wake-ups (a channel with something to read,
/// a <see cref="ChangeSignal"/> that fired). Every iteration records <see cref="LastTick"/> (what
/// readiness and <c>patronus_loop_last_tick_age_seconds</c> read); one that throws is logged, the
/// loop pauses for <see cref="RetryAfterError"/> and carries on. Only cancellation ends it.
/// </summary>
public abstract class EngineLoop : BackgroundService, IEngineLoop
{
    private readonly List<Func<CancellationToken, Task>> _wakes = [];
    private Task[] _waits = [];
    private long _lastTick;

    protected EngineLoop(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
        Clock = new LoopClock(time);
    }

    /// <inheritdoc />
    public abstract string LoopName { get; }

    /// <inheritdoc />
    public long LastTick => Volatile.Read(ref _lastTick);

    /// <summary>
    /// Tests: notified each time the loop has armed its timer and is about to sleep, so a test on a
    /// fake clock moves time only once the loop waits for it. Null (no cost) outside tests.
    /// </summary>
    internal ChangeSignal? SleepingForTest { get; set; }

    /// <summary>Every clock read, timer and delay of the loop goes through this provider.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The loop's two clocks: monotonic for schedules, wall for stamps (<see cref="LoopTime"/>).</summary>
    protected LoopClock Clock { get; }

    /// <summary>
    /// How long the loop pauses after an iteration threw. Default 100 ms: long enough not to spin
    /// (and flood the log) on a fault that persists, short enough that a passing one goes unnoticed.
    /// </summary>
    protected virtual TimeSpan RetryAfterError => TimeSpan.FromMilliseconds(100);

    /// <summary>Wakes the loop when <paramref name="watch"/> has a change to consume.</summary>
    protected void WakeOn(ChangeWatch watch)
    {
        ArgumentNullException.ThrowIfNull(watch);
        _wakes.Add(_ => watch.Pending);
    }

    /// <summary>Wakes the loop when <paramref name="reader"/> has an item (the iteration drains it).</summary>
    protected void WakeOn<T>(ChannelReader<T> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        // One wait per channel lives across iterations: cancelling a channel wait completes it with
        // a thrown OperationCanceledException, which would cost one exception per iteration.
        Task<bool>? wait = null;
        _wakes.Add(ct => wait is { IsCompleted: false } ? wait : wait = reader.WaitToReadAsync(ct).AsTask());
    }

    /// <summary>Wakes the loop when the task <paramref name="wait"/> returns completes (called before every sleep; keep its task across calls while it is pending).</summary>
    protected void WakeOn(Func<CancellationToken, Task> wait)
    {
        ArgumentNullException.ThrowIfNull(wait);
        _wakes.Add(wait);
    }

    /// <summary>Runs once on the loop's task before the first iteration: subscribe, register wake-ups. False: the loop does not run at all.</summary>
    protected virtual ValueTask<bool> StartingAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary>One iteration; returns how long the loop may sleep without new input (null: until a wake-up or the heartbeat).</summary>
    protected abstract ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken);

    /// <summary>Logs an iteration that threw, with the feature's own event id.</summary>
    protected abstract void LogIterationFailed(Exception exception);

    /// <summary>Runs once on the loop's task after the last iteration (close sockets, say goodbye).</summary>
    protected virtual ValueTask StoppedAsync() => ValueTask.CompletedTask;

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StartingAsync(stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    Volatile.Write(ref _lastTick, Time.GetTimestamp());
                    var next = await IterateAsync(stoppingToken).ConfigureAwait(false);
                    await WaitAsync(next, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // one bad iteration must not stop the loop
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogIterationFailed(ex);
                    if (!await PauseAsync(stoppingToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            await StoppedAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(RetryAfterError, Time, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task WaitAsync(TimeSpan? next, CancellationToken ct)
    {
        // Without a deadline, wake at the heartbeat anyway: readiness reads LastTick.
        var wait = next is { } n && n < IEngineLoop.Heartbeat ? n : IEngineLoop.Heartbeat;
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        if (_waits.Length != _wakes.Count + 1)
        {
            _waits = new Task[_wakes.Count + 1];
        }

        for (var i = 0; i < _wakes.Count; i++)
        {
            _waits[i] = _wakes[i](ct);
            if (_waits[i].IsCompleted)
            {
                return; // input already waiting: no sleep
            }
        }

        // Timers count whole milliseconds and may fire up to 1 ms early: without rounding up the
        // loop spins until the deadline passes (measured at ~36 iterations per probe in the health
        // monitor, bench/Patronus.Bench, docs/performance.md).
        wait = TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _waits[^1] = Task.Delay(wait, Time, cts.Token);
        SleepingForTest?.Notify();
        await Task.WhenAny(_waits).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        Array.Clear(_waits);
        ct.ThrowIfCancellationRequested();
    }
}
