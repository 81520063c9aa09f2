using Patronus.Engine.Failover;

namespace Patronus.Engine.Cluster;

/// <summary>
/// What the cluster relay and its metrics read from the store (Patronus.Persistence): the failover
/// events past a cursor — so every node's subscribers see the events the leader stored, in order,
/// and a node whose listener was away catches up — and the store's size.
/// </summary>
public interface IClusterFeedStore
{
    /// <summary>The newest stored failover event's id, 0 when there is none.</summary>
    Task<long> GetLastFailoverEventIdAsync(CancellationToken cancellationToken = default);

    /// <summary>Stored failover events with an id greater than <paramref name="afterId"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<FailoverEventRecord>> GetFailoverEventsAfterAsync(long afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The store's size in bytes as the database reports it (PostgreSQL: <c>pg_database_size</c>; SQLite: pages × page size of the main file).</summary>
    Task<long> GetStateSizeBytesAsync(CancellationToken cancellationToken = default);
}
