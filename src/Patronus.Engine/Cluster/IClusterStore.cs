namespace Patronus.Engine.Cluster;

/// <summary>
/// Where the controllers sharing one store meet: their heartbeat rows and the leader lease row, both
/// stamped with the database's clock (never an instance's). The cluster feature's storage port,
/// implemented for SQLite and PostgreSQL outside the engine (Patronus.Persistence).
/// </summary>
public interface IClusterStore
{
    /// <summary>
    /// Acquires or renews the leader lease for <paramref name="nodeId"/> with one conditional update:
    /// it succeeds when the node already holds the lease or the lease is free or expired, extends it to
    /// the database's now plus <paramref name="duration"/>, and increments the term whenever the holder
    /// changes. Returns the outcome with the lease's term and holder as they are after the attempt.
    /// </summary>
    Task<LeaseAttempt> TryAcquireLeaseAsync(string nodeId, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up if <paramref name="nodeId"/> holds it (expires it now; the term stays). True when it did.</summary>
    Task<bool> ReleaseLeaseAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>Writes (inserts or refreshes) this node's heartbeat row, stamped with the database's clock.</summary>
    Task HeartbeatAsync(ClusterHeartbeat heartbeat, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every node that has written a heartbeat, with its age on the database's clock and whether it
    /// is younger than <paramref name="nodeTimeout"/>, and the lease as it stands now.
    /// </summary>
    Task<ClusterView> GetClusterAsync(TimeSpan nodeTimeout, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of a lease attempt.</summary>
/// <param name="Held">True when <c>nodeId</c> holds the lease now.</param>
/// <param name="Term">The lease's term after the attempt.</param>
/// <param name="Holder">The holder after the attempt (null when free).</param>
public sealed record LeaseAttempt(bool Held, long Term, string? Holder);

/// <summary>One heartbeat: who this node is and what it believes its role is.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Url">Its advertised URL.</param>
/// <param name="Version">Its software version.</param>
/// <param name="StartedAt">When the process started.</param>
/// <param name="Leader">Whether it believes it leads.</param>
/// <param name="Term">The newest term it has seen.</param>
public sealed record ClusterHeartbeat(string NodeId, string Url, string Version, DateTimeOffset StartedAt, bool Leader, long Term);

/// <summary>One node as the store knows it.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Url">Its advertised URL.</param>
/// <param name="Version">Its software version.</param>
/// <param name="StartedAt">When its process started.</param>
/// <param name="LastHeartbeat">When its last heartbeat was written (database clock).</param>
/// <param name="Healthy">True when the last heartbeat is younger than the node timeout.</param>
/// <param name="Term">The newest term it reported.</param>
public sealed record ClusterNode(string NodeId, string Url, string Version, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, bool Healthy, long Term);

/// <summary>The cluster as the store sees it at one instant of its clock.</summary>
/// <param name="Nodes">Every node with a heartbeat row, by node id.</param>
/// <param name="Leader">The lease holder while the lease is unexpired, else null.</param>
/// <param name="Term">The lease's term.</param>
/// <param name="LeaseExpiresAt">When the lease expires (database clock).</param>
/// <param name="Now">The database's clock when it answered.</param>
public sealed record ClusterView(IReadOnlyList<ClusterNode> Nodes, string? Leader, long Term, DateTimeOffset LeaseExpiresAt, DateTimeOffset Now);
