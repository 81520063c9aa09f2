using Microsoft.Extensions.Options;

namespace Patronus.Engine.Cluster;

/// <summary>
/// The cluster as the APIs show it (REST <c>/api/v1/cluster</c>, GraphQL <c>cluster</c>): read from
/// the shared store on every call, so every node answers the same; on the single-node store, this
/// instance alone — the leader with term 1.
/// </summary>
public sealed class ClusterReader
{
    private readonly ILeadership _leadership;
    private readonly IClusterStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;

    public ClusterReader(ILeadership leadership, IClusterStore store, IOptions<ClusterOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(leadership);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _leadership = leadership;
        _store = store;
        _options = options.Value;
        _time = timeProvider;
    }

    /// <summary>Reads the nodes and the lease (one store round trip on a shared store, none on the single-node one).</summary>
    public async Task<ClusterReport> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_leadership is Leadership { UsesLease: false })
        {
            var self = new ClusterMember(_leadership.NodeId, _options.AdvertisedUrl ?? "", ClusterRole.Leader, _leadership.Term, _time.GetUtcNow(),
                ClusterService.Version, true, true);
            return new ClusterReport(_leadership.NodeId, false, _leadership.NodeId, _leadership.Term, [self]);
        }

        var view = await _store.GetClusterAsync(_options.NodeTimeout, cancellationToken).ConfigureAwait(false);
        var members = view.Nodes.Select(n => new ClusterMember(n.NodeId, n.Url, n.NodeId == view.Leader ? ClusterRole.Leader : ClusterRole.Follower,
            n.Term, n.LastHeartbeat, n.Version, n.Healthy, n.NodeId == _leadership.NodeId)).ToList();
        return new ClusterReport(_leadership.NodeId, true, view.Leader, view.Term, members);
    }
}

/// <summary>A node's role: the lease holder, or not.</summary>
public enum ClusterRole
{
    Follower,
    Leader,
}

/// <summary>The cluster for the APIs.</summary>
/// <param name="NodeId">The node that answered.</param>
/// <param name="SharedStore">True on a shared (PostgreSQL) store with a lease; false on the single-node store.</param>
/// <param name="Leader">The lease holder while the lease is unexpired, else null (no leader right now).</param>
/// <param name="Term">The lease's current term.</param>
/// <param name="Nodes">Every node with a heartbeat row, by id.</param>
public sealed record ClusterReport(string NodeId, bool SharedStore, string? Leader, long Term, IReadOnlyList<ClusterMember> Nodes);

/// <summary>One node for the APIs.</summary>
/// <param name="NodeId">Its id.</param>
/// <param name="Url">Its advertised URL.</param>
/// <param name="Role">Leader when it holds the unexpired lease.</param>
/// <param name="Term">The newest term it reported with its last heartbeat.</param>
/// <param name="LastHeartbeat">Its last heartbeat (database clock).</param>
/// <param name="Version">Its software version.</param>
/// <param name="Healthy">True when its heartbeat is younger than <see cref="ClusterOptions.NodeTimeout"/>.</param>
/// <param name="Self">True for the node that answered.</param>
public sealed record ClusterMember(string NodeId, string Url, ClusterRole Role, long Term, DateTimeOffset LastHeartbeat, string Version, bool Healthy, bool Self);
