using Patronus.Engine.Storage;

namespace Patronus.Engine.Paths;

/// <summary>
/// Where sites, links and paths are kept: the topology's storage port, implemented for SQLite and
/// PostgreSQL outside the engine (Patronus.Persistence) with the same behaviour. Read and written by
/// <see cref="TopologyService"/>; writes of API items refuse config and quickstart items
/// (<see cref="StoreStatus.ReadOnly"/>).
/// </summary>
public interface ITopologyStore
{
    /// <summary>Reads the whole topology (all sources).</summary>
    Task<TopologySnapshot> LoadTopologyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the stored config/quickstart items equal to <paramref name="configured"/> in one
    /// transaction: inserts and updates them, and removes read-only items that are no longer
    /// configured. Fails whole (nothing written) when a configured id is already used by an API item
    /// or a removed item is still referenced.
    /// </summary>
    Task<StoreResult> SyncReadOnlyTopologyAsync(TopologySnapshot configured, CancellationToken cancellationToken = default);

    Task<StoreResult> InsertSiteAsync(Site site, CancellationToken cancellationToken = default);

    Task<StoreResult> UpdateSiteAsync(Site site, CancellationToken cancellationToken = default);

    Task<StoreResult> DeleteSiteAsync(string siteId, CancellationToken cancellationToken = default);

    Task<StoreResult> InsertLinkAsync(WanLink link, CancellationToken cancellationToken = default);

    Task<StoreResult> UpdateLinkAsync(WanLink link, CancellationToken cancellationToken = default);

    Task<StoreResult> DeleteLinkAsync(string linkId, CancellationToken cancellationToken = default);

    Task<StoreResult> InsertPathAsync(PathDefinition path, CancellationToken cancellationToken = default);

    Task<StoreResult> UpdatePathAsync(PathDefinition path, CancellationToken cancellationToken = default);

    /// <summary>Deletes an API path with its health history. InUse while a failover policy uses it.</summary>
    Task<StoreResult> DeletePathAsync(string pathId, CancellationToken cancellationToken = default);
}
