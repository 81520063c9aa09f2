namespace Patronus.Server.GraphQL;

/// <summary>
/// Changes gathered by key (a path's id) for one subscriber, the latest per key winning, handed
/// out as one list at most once per interval: the first change after a quiet spell at once (if the
/// interval since the last list has passed), the ones that follow within the interval together at
/// its end. The <c>pathHealthBatches</c> subscription: a page that shows a thousand paths gets one
/// WebSocket message a quarter of a second instead of a thousand a second (each message was a task
/// and a few objects in the browser: the dashboard's garbage, docs/performance.md, *Dashboard*).
/// Holds at most one item per key however slow the reader is.
/// </summary>
/// <typeparam name="T">The change.</typeparam>
internal sealed class LatestPerKey<T>
{
    private readonly Func<T, string> _key;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Dictionary<string, T> _pending = new(StringComparer.Ordinal);
    private Dictionary<string, T> _spare = new(StringComparer.Ordinal);
    private TaskCompletionSource? _waiter;
    private long _lastTaken;
    private bool _takenOnce;

    /// <param name="key">The key of a change: a later change of the same key replaces it.</param>
    /// <param name="interval">The least time between two lists.</param>
    /// <param name="time">The clock (monotonic timestamps, and the interval's delay).</param>
    public LatestPerKey(Func<T, string> key, TimeSpan interval, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _key = key;
        _interval = interval;
        _time = time;
    }

    /// <summary>Changes waiting for the next list.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>A change (from the feed's reader): replaces the waiting change of its key.</summary>
    public void Add(T item)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _pending[_key(item)] = item;
            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>
    /// The next list: waits for a change, then until the interval since the previous list has
    /// passed, and returns every change waiting by then (one per key). One reader at a time.
    /// </summary>
    public async Task<IReadOnlyList<T>> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _waiter.Task;
                }
            }

            if (wait is null)
            {
                break;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_takenOnce)
        {
            var left = _interval - _time.GetElapsedTime(_lastTaken);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        Dictionary<string, T> taken;
        lock (_gate)
        {
            taken = _pending;
            _pending = _spare;
            _spare = taken;
        }

        _lastTaken = _time.GetTimestamp();
        _takenOnce = true;
        T[] list = [.. taken.Values];
        taken.Clear();
        return list;
    }
}
