using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Cluster;

/// <summary>
/// The live view the APIs show (GraphQL subscriptions, the health queries), the same on every node
/// (docs/ha.md, "What runs where"). On the single-node store it is this instance's engine, unchanged.
/// On a shared store, with <see cref="ClusterRelayService"/> feeding it:
/// <list type="bullet">
/// <item>failover events are the ones stored, read past a cursor after each of the leader's
/// notifications, with their ids — on the leader as on a follower, whose own (unapplied) decisions
/// are not shown;</item>
/// <item>health is the leader's: on the leader its own monitor's changes, on a follower the
/// snapshots the leader relays, which also replace its own in <see cref="Get"/> and <see cref="All"/>
/// (paths the leader has not sent yet show the follower's own probes).</item>
/// </list>
/// </summary>
public sealed class ClusterFeed
{
    // As HealthState's and FailoverService's own subscriber channels: a slow subscriber loses its
    // oldest items, never the relay's time; 1,024 is several seconds of 10,000 paths changing.
    private const int SubscriberCapacity = 1024;

    private readonly ILeadership _leadership;
    private readonly HealthState _health;
    private readonly FailoverService _failover;
    private readonly Broadcast<PathHealthSnapshot> _healthChanges = new(SubscriberCapacity);
    private readonly Broadcast<FailoverEventRecord> _failoverEvents = new(SubscriberCapacity);
    private ImmutableDictionary<long, FailoverEventRecord> _leaderPolicyEvents = ImmutableDictionary<long, FailoverEventRecord>.Empty;
    private LeaderHealth _leaderHealth = new(0, ImmutableDictionary<string, PathHealthSnapshot>.Empty.WithComparers(StringComparer.Ordinal));
    private LeaderHoldDowns _leaderHoldDowns = new(0, ImmutableDictionary<long, PolicyHoldDown>.Empty);

    /// <param name="leadership">Who leads: a follower shows the leader's health.</param>
    /// <param name="health">This instance's monitor.</param>
    /// <param name="failover">This instance's failover loop (its events are shown directly when not relayed).</param>
    /// <param name="relayed">True on a shared store, where <see cref="ClusterRelayService"/> feeds this object.</param>
    public ClusterFeed(ILeadership leadership, HealthState health, FailoverService failover, bool relayed = false)
    {
        ArgumentNullException.ThrowIfNull(leadership);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(failover);
        _leadership = leadership;
        _health = health;
        _failover = failover;
        Relayed = relayed;
    }

    /// <summary>True on a shared store: the relay feeds the streams; false: they are this instance's engine.</summary>
    public bool Relayed { get; }

    /// <summary>The path's health as shown: the leader's relayed snapshot on a follower when there is one, else this instance's.</summary>
    public PathHealthSnapshot? Get(string pathId)
    {
        var own = _health.Get(pathId);
        return own is not null && UseLeaderHealth && Volatile.Read(ref _leaderHealth).Paths.TryGetValue(pathId, out var relayed) ? relayed : own;
    }

    /// <summary>Every monitored path's health as shown, in topology order (see <see cref="Get"/>).</summary>
    public IReadOnlyList<PathHealthSnapshot> All
    {
        get
        {
            var own = _health.All;
            if (!UseLeaderHealth)
            {
                return own;
            }

            var relayed = Volatile.Read(ref _leaderHealth).Paths;
            return relayed.IsEmpty ? own : [.. own.Select(h => relayed.TryGetValue(h.PathId, out var r) ? r : h)];
        }
    }

    /// <summary>Every health change as shown, from now on, until cancelled (a slow reader loses its oldest changes).</summary>
    public async IAsyncEnumerable<PathHealthSnapshot> HealthChangesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = Relayed ? _healthChanges.Subscribe(cancellationToken) : _health.Subscribe(cancellationToken);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var snapshot))
            {
                yield return snapshot;
            }
        }
    }

    /// <summary>
    /// Every failover event from now on, until cancelled: this instance's decisions as they are made
    /// (no id yet) on the single-node store, the stored events (with ids) on a shared one.
    /// </summary>
    public async IAsyncEnumerable<FailoverEventRecord> FailoverEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Relayed)
        {
            var stored = _failoverEvents.Subscribe(cancellationToken);
            while (await stored.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (stored.TryRead(out var record))
                {
                    yield return record;
                }
            }

            yield break;
        }

        var decided = _failover.Subscribe(cancellationToken);
        while (await decided.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (decided.TryRead(out var e))
            {
                yield return new FailoverEventRecord(e, null);
            }
        }
    }

    /// <summary>The relay: a change of this instance's own health, shown while it leads.</summary>
    internal void OwnHealthChanged(PathHealthSnapshot snapshot)
    {
        if (_leadership.IsLeader)
        {
            _healthChanges.Publish(snapshot);
        }
    }

    /// <summary>
    /// The relay: snapshots the leader of <paramref name="term"/> sent. A newer term replaces the whole
    /// relayed view (a new leader's state, not a mix with its predecessor's); an older one is dropped.
    /// Returns false when dropped.
    /// </summary>
    internal bool LeaderHealthReceived(long term, IReadOnlyList<PathHealthSnapshot> snapshots)
    {
        var current = Volatile.Read(ref _leaderHealth);
        if (term < current.Term)
        {
            return false;
        }

        var builder = (term > current.Term ? current.Paths.Clear() : current.Paths).ToBuilder();
        foreach (var snapshot in snapshots)
        {
            builder[snapshot.PathId] = snapshot;
        }

        // One writer (the relay's inbound loop): a plain swap is enough.
        Volatile.Write(ref _leaderHealth, new LeaderHealth(term, builder.ToImmutable()));
        if (!_leadership.IsLeader)
        {
            foreach (var snapshot in snapshots)
            {
                _healthChanges.Publish(snapshot);
            }
        }

        return true;
    }

    /// <summary>
    /// The relay: the failback hold-downs the leader of <paramref name="term"/> sent. A newer term
    /// replaces them whole, an older one is dropped (as <see cref="LeaderHealthReceived"/>). Returns
    /// false when dropped.
    /// </summary>
    internal bool LeaderHoldDownsReceived(long term, IReadOnlyList<PolicyHoldDown> holdDowns)
    {
        var current = Volatile.Read(ref _leaderHoldDowns);
        if (term < current.Term)
        {
            return false;
        }

        var builder = (term > current.Term ? current.Policies.Clear() : current.Policies).ToBuilder();
        foreach (var holdDown in holdDowns)
        {
            builder[holdDown.PolicyId] = holdDown;
        }

        // One writer (the relay's inbound loop): a plain swap is enough.
        Volatile.Write(ref _leaderHoldDowns, new LeaderHoldDowns(term, builder.ToImmutable()));
        return true;
    }

    /// <summary>
    /// A policy's state as shown: this instance's own loop on the single-node store and on the leader;
    /// on a follower the leader's — the active path is the one of the newest failover, failback or
    /// disable event the leader stored (the primary when there is none), the last switch that event's
    /// time, the failback hold-down (pending since, held until) the one the leader relayed (null until
    /// it has). A follower's own loop decides from its own probes and applies nothing, so its state is
    /// not what the network does.
    /// </summary>
    public FailoverPolicyStatus? PolicyStatus(FailoverPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var own = _failover.Status.GetValueOrDefault(policy.Id);
        if (!UseLeaderHealth)
        {
            return own;
        }

        var active = policy.PrimaryPathId;
        DateTimeOffset? lastSwitch = null;
        if (Volatile.Read(ref _leaderPolicyEvents).TryGetValue(policy.Id, out var last))
        {
            lastSwitch = last.Event.Timestamp;
            if (policy.Enabled && last.Event.ToPathId is { } to && policy.AllPaths.Contains(to))
            {
                active = to;
            }
        }

        var state = own?.State ?? FailoverPolicyState.Initial(policy);
        Volatile.Read(ref _leaderHoldDowns).Policies.TryGetValue(policy.Id, out var holdDown);
        return new FailoverPolicyStatus(policy.Id, policy.Name, active, policy.Enabled, state with { ActivePathId = active }, lastSwitch,
            holdDown?.FailbackPendingSince, holdDown?.HeldUntil);
    }

    /// <summary>The relay: a stored failover event, read past the cursor.</summary>
    internal void FailoverEventStored(FailoverEventRecord record)
    {
        LeaderPolicyEventsLoaded([record]);
        _failoverEvents.Publish(record);
    }

    /// <summary>The relay: the leader's stored events that set a policy's active path (the newest per policy wins, by event id).</summary>
    internal void LeaderPolicyEventsLoaded(IEnumerable<FailoverEventRecord> records)
    {
        var current = Volatile.Read(ref _leaderPolicyEvents);
        var next = current;
        foreach (var record in records)
        {
            if (record.Event.Type is FailoverEventType.FailoverTriggered or FailoverEventType.FailbackCompleted or FailoverEventType.PolicyDisabled &&
                (!next.TryGetValue(record.Event.PolicyId, out var had) || had.EventId < record.EventId))
            {
                next = next.SetItem(record.Event.PolicyId, record);
            }
        }

        // Two writers at most (the catch-up under its gate, the first load before it): the catch-up's gate orders them.
        Volatile.Write(ref _leaderPolicyEvents, next);
    }

    /// <summary>The relay: how many paths' relayed snapshots are held (tests, logs).</summary>
    internal int LeaderHealthCount => Volatile.Read(ref _leaderHealth).Paths.Count;

    private bool UseLeaderHealth => Relayed && !_leadership.IsLeader;

    private sealed record LeaderHealth(long Term, ImmutableDictionary<string, PathHealthSnapshot> Paths);

    private sealed record LeaderHoldDowns(long Term, ImmutableDictionary<long, PolicyHoldDown> Policies);
}
