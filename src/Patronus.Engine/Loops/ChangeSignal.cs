namespace Patronus.Engine.Loops;

/// <summary>
/// "Something changed; read the current state": the one change signal between the owner of an
/// immutable snapshot (topology, policies, path health, BFD sessions, traffic) and the loops that
/// follow it. It carries no data — readers take the snapshot itself, so a reader that was busy
/// sees the latest state once, never a queue of intermediate ones. Lock-free: a
/// <see cref="TaskCompletionSource"/> swapped on every <see cref="Notify"/>.
/// </summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource _next = New();

    /// <summary>
    /// Completes at the next <see cref="Notify"/>. Take it before reading the state it guards,
    /// then no change is missed: one made after the read completes the task taken before it.
    /// </summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Owner only: the state changed (call after publishing the new snapshot).</summary>
    public void Notify() => Interlocked.Exchange(ref _next, New()).TrySetResult();

    /// <summary>
    /// A follower's cursor on this signal, for one loop. With <paramref name="changedAtFirst"/>
    /// its first <see cref="ChangeWatch.Consume"/> reports a change, so a loop applies the state
    /// it starts with through the same path as every later change.
    /// </summary>
    public ChangeWatch Watch(bool changedAtFirst = false) => new(this, changedAtFirst);

    // Continuations run on the thread pool, never inline in the owner's Notify.
    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One loop's cursor on a <see cref="ChangeSignal"/> (not thread-safe: the loop owns it).</summary>
public sealed class ChangeWatch
{
    private readonly ChangeSignal _signal;
    private Task _pending;

    internal ChangeWatch(ChangeSignal signal, bool changedAtFirst)
    {
        _signal = signal;
        _pending = changedAtFirst ? Task.CompletedTask : signal.Next;
    }

    /// <summary>Completes when there is a change to consume (what the loop waits on).</summary>
    public Task Pending => _pending;

    /// <summary>
    /// True once for any number of changes since the last call (and re-armed before it returns,
    /// so the state read after it is at least as new as the change reported).
    /// </summary>
    public bool Consume()
    {
        if (!_pending.IsCompleted)
        {
            return false;
        }

        _pending = _signal.Next;
        return true;
    }
}
