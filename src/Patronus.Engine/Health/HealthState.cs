using System.Threading.Channels;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Health;

/// <summary>
/// The current health of every monitored path. The monitor loop is the only writer; readers on
/// any thread get immutable <see cref="PathHealthSnapshot"/>s without locks: each path has a
/// slot in a <see cref="PathHealthTable"/> whose snapshot reference is swapped atomically (with
/// its numbers in a contiguous row beside it, for readers of every path), and the table is
/// replaced as a whole when the set of paths changes. Followers that act on the current health
/// (failover) wait on <see cref="Changed"/> and read <see cref="Get"/>; readers of every change (API
/// subscriptions) <see cref="Subscribe"/>.
/// </summary>
public sealed class HealthState
{
    // A slow subscriber loses intermediate states, never the monitor's time, and the latest state
    // is always in Get. 1,024 changes is several seconds of 10,000 paths changing at once.
    private const int SubscriberCapacity = 1024;

    private readonly Broadcast<PathHealthSnapshot> _changes = new(SubscriberCapacity);
    private volatile PathHealthTable _table = PathHealthTable.Empty;

    /// <summary>All paths' current health, in topology order.</summary>
    public IReadOnlyList<PathHealthSnapshot> All => _table.Snapshots();

    /// <summary>
    /// The monitored paths with their numbers in one contiguous table (readers of every path at
    /// once: the Prometheus scrape). Replaced by a new table when the set of paths changes.
    /// </summary>
    public PathHealthTable Table => _table;

    public int Count => _table.Count;

    /// <summary>The path's current health, or null when the path is not monitored.</summary>
    public PathHealthSnapshot? Get(string pathId)
    {
        var table = _table;
        var index = table.IndexOf(pathId);
        return index < 0 ? null : table.Snapshot(index);
    }

    /// <summary>Notified after every published change (of any path): take its next, then read <see cref="Get"/>.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>
    /// A stream of every change (score, status or measurements) as it happens. Capacity 1,024 with
    /// drop-oldest: a slow subscriber loses intermediate states, never the monitor's time, and
    /// the latest state is always in <see cref="Get"/>. Cancelling the token unsubscribes.
    /// </summary>
    public ChannelReader<PathHealthSnapshot> Subscribe(CancellationToken cancellationToken) => _changes.Subscribe(cancellationToken);

    /// <summary>Monitor only: replaces the set of monitored paths, keeping the snapshots of paths that stay.</summary>
    internal void SetPaths(IEnumerable<PathHealthSnapshot> initial)
    {
        var old = _table;
        _table = new PathHealthTable(initial.Select(s => old.IndexOf(s.PathId) is >= 0 and var i ? old.Snapshot(i) : s));
        Changed.Notify();
    }

    /// <summary>
    /// Monitor only: publishes a path's new snapshot. With <paramref name="notify"/> false the
    /// caller notifies <see cref="Changed"/> once after a batch (one signal per monitor iteration,
    /// not one per path).
    /// </summary>
    internal void Publish(PathHealthSnapshot snapshot, bool notify = true)
    {
        var table = _table;
        var index = table.IndexOf(snapshot.PathId);
        if (index >= 0)
        {
            table.Publish(index, snapshot);
        }

        _changes.Publish(snapshot);
        if (notify)
        {
            Changed.Notify();
        }
    }
}
