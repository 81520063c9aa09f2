using System.Diagnostics.Metrics;

namespace Patronus.Engine.Cluster;

/// <summary>
/// Cluster instruments (meter <c>Patronus.Cluster</c>) under exactly the seed's names, without the
/// <c>patronus_</c> prefix of our other families (issue 18's contract: dashboards and alerts written for
/// the seed work unchanged): <c>cluster_nodes_total</c> and <c>_nodes_healthy</c> (nodes with a heartbeat row,
/// and those fresher than the timeout), <c>_is_leader</c>, <c>_current_term</c>, and the counters
/// <c>_elections_total</c> (this node became leader), <c>_heartbeats_sent_total</c>,
/// <c>_heartbeats_received_total</c> (other nodes' heartbeats seen advance),
/// <c>_failovers_total</c> (the lease changed hands: a term this node saw advance),
/// <c>_fenced_writes_total</c> (leader-only writes the store refused),
/// <c>_state_replications_total</c> (relay notifications, by <c>direction</c>: <c>sent</c> by this
/// node, <c>received</c> from the others and decoded) and the gauge <c>_state_size_bytes</c> (the store's size
/// as the database reports it, sampled every <see cref="ClusterStateSizeService.Interval"/>). On the
/// embedded store the single instance reports itself: one node, healthy, leader, term 1, nothing relayed.
/// </summary>
public sealed class ClusterMetrics : IDisposable
{
    public const string MeterName = "Patronus.Cluster";

    private readonly Meter _meter;
    private readonly Counter<long> _elections;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _received;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _replications;
    private long _stateSize;
    private int _nodes = 1;
    private int _healthy = 1;

    public ClusterMetrics(ILeadership leadership, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(leadership);
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        // Gauges named as the seed named them (its dashboards): promtool's lint flags the _total of a gauge.
        _meter.CreateObservableGauge("cluster.nodes_total", () => Volatile.Read(ref _nodes), "{node}", "Controller nodes with a heartbeat row in the store");
        _meter.CreateObservableGauge("cluster.nodes_healthy", () => Volatile.Read(ref _healthy), "{node}", "Controller nodes whose heartbeat is fresher than Cluster:NodeTimeout");
        _meter.CreateObservableGauge("cluster.is_leader", () => leadership.IsLeader ? 1 : 0, null, "1 while this node holds the leader lease");
        _meter.CreateObservableGauge("cluster.current_term", () => leadership.Term, null, "The newest lease term this node has seen");
        _elections = _meter.CreateCounter<long>("cluster.elections", "{election}", "Times this node became leader");
        _sent = _meter.CreateCounter<long>("cluster.heartbeats_sent", "{heartbeat}", "Heartbeats this node wrote");
        _received = _meter.CreateCounter<long>("cluster.heartbeats_received", "{heartbeat}", "Other nodes' heartbeats seen advance");
        _failovers = _meter.CreateCounter<long>("cluster.failovers", "{failover}", "Changes of lease holder (term advances) this node saw");
        _replications = _meter.CreateCounter<long>("cluster.state_replications", "{notification}",
            "Relay notifications between the nodes (direction: sent by this node, received by it)");
        _meter.CreateObservableGauge("cluster.state_size_bytes", () => Interlocked.Read(ref _stateSize), "By",
            "The store's size as the database reports it (PostgreSQL pg_database_size, SQLite pages x page size)");
        _meter.CreateObservableCounter("cluster.fenced_writes", () => (leadership as Leadership)?.RefusedWrites ?? 0, "{write}", "Leader-only writes the store refused (stale term or not leader)");

        // Series from the start at 0, so that the first increase is one Prometheus sees.
        _elections.Add(0);
        _sent.Add(0);
        _received.Add(0);
        _failovers.Add(0);
        _replications.Add(0, s_sent);
        _replications.Add(0, s_received);
    }

    private static readonly KeyValuePair<string, object?> s_sent = new("direction", "sent");
    private static readonly KeyValuePair<string, object?> s_received = new("direction", "received");

    public void Elected() => _elections.Add(1);

    public void HeartbeatSent() => _sent.Add(1);

    public void HeartbeatsReceived(int count) => _received.Add(count);

    public void Failover() => _failovers.Add(1);

    /// <summary>A relay notification sent (<paramref name="sent"/>), or received from another node and decoded.</summary>
    public void Replicated(bool sent) => _replications.Add(1, sent ? s_sent : s_received);

    /// <summary>The store's size in bytes, as last sampled.</summary>
    public void StateSize(long bytes) => Interlocked.Exchange(ref _stateSize, bytes);

    public void Nodes(int total, int healthy)
    {
        Volatile.Write(ref _nodes, total);
        Volatile.Write(ref _healthy, healthy);
    }

    public void Dispose() => _meter.Dispose();
}
