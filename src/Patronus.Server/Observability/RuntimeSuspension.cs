namespace Patronus.Server.Observability;

/// <summary>
/// One runtime suspension: why (the runtime's reason code), how long managed threads stood still
/// (SuspendEEBegin → RestartEEEnd) and how much of that was spent waiting for every thread to reach
/// a safe point (SuspendEEBegin → SuspendEEEnd).
/// </summary>
internal readonly record struct RuntimeSuspension(uint Reason, TimeSpan Duration, TimeSpan Wait)
{
    /// <summary>
    /// The reason as a label value: <c>gc</c> (SUSPEND_FOR_GC, SUSPEND_FOR_GC_PREP), <c>debugger</c>
    /// (SUSPEND_FOR_DEBUGGER, _SWEEP), <c>other</c> for the rest — SUSPEND_OTHER is what tiered
    /// compilation uses when it installs or deletes call-counting stubs, as do a ReJIT, a profiler
    /// and shutdown. Few values on purpose: one series each.
    /// </summary>
    public string ReasonName => Reason switch
    {
        1 or 6 => "gc",
        5 or 7 => "debugger",
        _ => "other",
    };
}

/// <summary>
/// Pairs the runtime's suspension events into <see cref="RuntimeSuspension"/>s. Events of one
/// listener arrive on one thread, in order; a suspension whose begin was missed (the listener
/// started in the middle of one) is dropped, not guessed.
/// </summary>
internal struct SuspensionTracker
{
    /// <summary>Suspensions completed (all reasons).</summary>
    public long Completed;

    private uint _reason;
    private long _begin;
    private long _suspended;
    private bool _open;

    /// <summary>GCSuspendEEBegin_V1: the runtime starts stopping managed threads.</summary>
    public void Begin(uint reason, long ticks)
    {
        _reason = reason;
        _begin = ticks;
        _suspended = ticks;
        _open = true;
    }

    /// <summary>GCSuspendEEEnd_V1: every managed thread is stopped.</summary>
    public void Suspended(long ticks)
    {
        if (_open)
        {
            _suspended = ticks;
        }
    }

    /// <summary>GCRestartEEEnd_V1: managed threads run again; the completed suspension, if its begin was seen.</summary>
    public RuntimeSuspension? End(long ticks)
    {
        if (!_open)
        {
            return null;
        }

        _open = false;
        Completed++;
        return new RuntimeSuspension(_reason, TimeSpan.FromTicks(Math.Max(0, ticks - _begin)), TimeSpan.FromTicks(Math.Max(0, _suspended - _begin)));
    }
}
