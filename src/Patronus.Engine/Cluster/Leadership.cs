using Patronus.Engine.Loops;

namespace Patronus.Engine.Cluster;

/// <summary>
/// The shared, thread-safe view of <see cref="LeaseState"/>: the cluster loop publishes a snapshot
/// after every lease attempt, and every reader decides <see cref="IsLeader"/> against the monotonic
/// clock at the moment it asks — so a leader whose renewals stop (store unreachable, process paused)
/// stops acting at its local deadline even before the loop runs again.
/// </summary>
public sealed class Leadership : ILeadership
{
    private readonly LoopClock _clock;
    private readonly bool _checked;
    private Snapshot _current;

    /// <param name="nodeId">This instance's node id.</param>
    /// <param name="timeProvider">The monotonic clock deadlines are kept on.</param>
    /// <param name="checkedByStore">True for a lease in a shared store (writes are checked against it).</param>
    public Leadership(string nodeId, TimeProvider timeProvider, bool checkedByStore = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        NodeId = nodeId;
        _clock = new LoopClock(timeProvider);
        _checked = checkedByStore;
        _current = new Snapshot(false, 0, TimeSpan.Zero);
    }

    /// <summary>
    /// The embedded store's leadership: this instance, term 1, for ever. Nothing to acquire, and the
    /// store need not check the token (there is no other writer).
    /// </summary>
    public static Leadership SingleNode(string nodeId, TimeProvider timeProvider)
    {
        var leadership = new Leadership(nodeId, timeProvider, checkedByStore: false);
        leadership._current = new Snapshot(true, 1, TimeSpan.MaxValue);
        return leadership;
    }

    /// <inheritdoc />
    public string NodeId { get; }

    /// <summary>The clock the cluster loop must use for <see cref="LeaseState"/> instants published here.</summary>
    public LoopClock Clock => _clock;

    /// <summary>False for <see cref="SingleNode"/>: there is no lease, the instance always leads.</summary>
    public bool UsesLease => _checked;

    /// <inheritdoc />
    public bool IsLeader
    {
        get
        {
            var s = Volatile.Read(ref _current);
            return s.Leader && _clock.Elapsed < s.ValidUntil;
        }
    }

    /// <inheritdoc />
    public long Term => Volatile.Read(ref _current).Term;

    /// <inheritdoc />
    public FenceToken? Fence
    {
        get
        {
            var s = Volatile.Read(ref _current);
            return s.Leader && _clock.Elapsed < s.ValidUntil ? new FenceToken(NodeId, s.Term, _checked) : null;
        }
    }

    /// <inheritdoc />
    public ChangeSignal Changed { get; } = new();

    /// <summary>Writes refused by the store since start (a stale term, or asked while not leader).</summary>
    public long RefusedWrites => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>The cluster loop: publishes the lease state after an attempt; notifies <see cref="Changed"/> when the role changed.</summary>
    public void Publish(LeaseState state, bool roleChanged)
    {
        ArgumentNullException.ThrowIfNull(state);
        Volatile.Write(ref _current, new Snapshot(state.IsLeader, state.Term, state.ValidUntil));
        if (roleChanged)
        {
            Changed.Notify();
        }
    }

    /// <inheritdoc />
    public void Refused(long term)
    {
        Interlocked.Increment(ref _refused);
        var s = Volatile.Read(ref _current);
        if (!_checked || !s.Leader || s.Term != term)
        {
            return;
        }

        // Only the snapshot the refused write was fenced with: a newer term published meanwhile stays.
        if (Interlocked.CompareExchange(ref _current, s with { Leader = false }, s) == s)
        {
            Changed.Notify();
        }
    }

    private sealed record Snapshot(bool Leader, long Term, TimeSpan ValidUntil);
}
