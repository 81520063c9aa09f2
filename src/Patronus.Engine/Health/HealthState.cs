using System.Threading.Channels;

namespace Patronus.Engine.Health;

/// <summary>
/// The current health of every monitored path. The monitor loop is the only writer; readers on
/// any thread get immutable <see cref="PathHealthSnapshot"/>s without locks: each path has a
/// holder whose snapshot reference is swapped atomically, and the set of holders is itself an
/// immutable map replaced when the topology changes.
/// </summary>
public sealed class HealthState
{
    private volatile Map _map = new([], new Dictionary<string, Holder>(StringComparer.Ordinal));
    private volatile Channel<PathHealthSnapshot>[] _subscribers = [];

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

    /// <summary>
    /// A stream of every change (score, status or measurements) as it happens. Capacity 1,024 with
    /// drop-oldest: a slow subscriber loses intermediate states, never the monitor's time, and
    /// the latest state is always in <see cref="Get"/>.
    /// </summary>
    public ChannelReader<PathHealthSnapshot> Subscribe(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<PathHealthSnapshot>(new BoundedChannelOptions(1024)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        Update(list => [.. list, channel]);
        cancellationToken.Register(() =>
        {
            Update(list => list.Where(c => c != channel).ToArray());
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    private void Update(Func<Channel<PathHealthSnapshot>[], Channel<PathHealthSnapshot>[]> change)
    {
        while (true)
        {
            var current = _subscribers;
            if (Interlocked.CompareExchange(ref _subscribers, change(current), current) == current)
            {
                return;
            }
        }
    }

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
    }

    /// <summary>Monitor only: publishes a path's new snapshot.</summary>
    internal void Publish(PathHealthSnapshot snapshot)
    {
        if (_map.ById.TryGetValue(snapshot.PathId, out var holder))
        {
            holder.Current = snapshot;
        }

        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(snapshot);
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
