using System.Threading.Channels;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Health;

/// <summary>
/// The current health of every monitored path. The monitor loop is the only writer; readers on
/// any thread get immutable <see cref="PathHealthSnapshot"/>s without locks: each path has a
/// holder whose snapshot reference is swapped atomically, and the set of holders is itself an
/// immutable map replaced when the topology changes. Followers that act on the current health
/// (failover) wait on <see cref="Changed"/> and read <see cref="Get"/>; readers of every change (API
/// subscriptions) <see cref="Subscribe"/>.
/// </summary>
public sealed class HealthState
{
    // A slow subscriber loses intermediate states, never the monitor's time, and the latest state
    // is always in Get. 1,024 changes is several seconds of 10,000 paths changing at once.
    private const int SubscriberCapacity = 1024;

    private readonly Broadcast<PathHealthSnapshot> _changes = new(SubscriberCapacity);
    private volatile Map _map = new([], new Dictionary<string, Holder>(StringComparer.Ordinal));

    /// <summary>All paths' current health, in topology order.</summary>
    public IReadOnlyList<PathHealthSnapshot> All
    {
        get
        {
            var holders = _map.Ordered;
            var result = new PathHealthSnapshot[holders.Length];
            for (var i = 0; i < holders.Length; i++)
            {
                result[i] = holders[i].Current;
            }

            return result;
        }
    }

    public int Count => _map.Ordered.Length;

    /// <summary>The path's current health, or null when the path is not monitored.</summary>
    public PathHealthSnapshot? Get(string pathId) =>
        _map.ById.TryGetValue(pathId, out var holder) ? holder.Current : null;

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
        var old = _map.ById;
        var ordered = new List<Holder>();
        var byId = new Dictionary<string, Holder>(StringComparer.Ordinal);
        foreach (var snapshot in initial)
        {
            var holder = old.TryGetValue(snapshot.PathId, out var kept) ? kept : new Holder(snapshot);
            ordered.Add(holder);
            byId[snapshot.PathId] = holder;
        }

        _map = new Map([.. ordered], byId);
        Changed.Notify();
    }

    /// <summary>
    /// Monitor only: publishes a path's new snapshot. With <paramref name="notify"/> false the
    /// caller notifies <see cref="Changed"/> once after a batch (one signal per monitor iteration,
    /// not one per path).
    /// </summary>
    internal void Publish(PathHealthSnapshot snapshot, bool notify = true)
    {
        if (_map.ById.TryGetValue(snapshot.PathId, out var holder))
        {
            holder.Current = snapshot;
        }

        _changes.Publish(snapshot);
        if (notify)
        {
            Changed.Notify();
        }
    }

    private sealed record Map(Holder[] Ordered, IReadOnlyDictionary<string, Holder> ById);

    private sealed class Holder(PathHealthSnapshot initial)
    {
        private PathHealthSnapshot _current = initial;

        public PathHealthSnapshot Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }
    }
}
