using Patronus.Engine.Health;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Persistence;

/// <summary>
/// The one storage interface. Two providers implement it with the same schema and behaviour:
/// SQLite (embedded default) and PostgreSQL (several controllers sharing one database).
/// Expected failures — a missing row, a duplicate id, a read-only item, a dangling reference —
/// come back as <see cref="StoreResult"/> values; exceptions mean the store itself failed.
/// </summary>
public partial interface IPatronusStore : IAsyncDisposable
{
    /// <summary>Which provider this is.</summary>
    StoreProvider Provider { get; }

    /// <summary>Where the data lives, safe to log (never contains a password).</summary>
    string Description { get; }

    /// <summary>Applies every pending migration, each in its own transaction. Returns the versions applied now.</summary>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The highest applied migration version, 0 on an empty database.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default);

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

    Task<StoreResult> DeletePathAsync(string pathId, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of health samples in one transaction.</summary>
    Task<StoreResult> InsertPathHealthAsync(IReadOnlyList<PathHealthSample> samples, CancellationToken cancellationToken = default);

    /// <summary>Samples of one path with <paramref name="from"/> ≤ timestamp &lt; <paramref name="until"/>, oldest first.</summary>
    Task<IReadOnlyList<PathHealthSample>> GetPathHealthAsync(string pathId, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Storage provider.</summary>
public enum StoreProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Outcome of a store write.</summary>
public enum StoreStatus
{
    Ok,
    NotFound,

    /// <summary>The id is already taken.</summary>
    Conflict,

    /// <summary>The item comes from config or the quickstart and cannot be changed through the API.</summary>
    ReadOnly,

    /// <summary>Another item still refers to this one.</summary>
    InUse,

    /// <summary>The item refers to something that does not exist.</summary>
    MissingReference,
}

/// <summary>A store write's outcome with a message that names what was wrong.</summary>
public readonly record struct StoreResult(StoreStatus Status, string? Message = null)
{
    public static StoreResult Ok { get; } = new(StoreStatus.Ok);

    public bool Succeeded => Status == StoreStatus.Ok;
}
