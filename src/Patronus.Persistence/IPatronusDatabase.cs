namespace Patronus.Persistence;

/// <summary>
/// The database behind every storage port: which provider it is, where it lives, and its schema.
/// One instance serves all ports (<see cref="PersistenceServiceCollectionExtensions.AddPatronusPersistence"/>);
/// the host migrates it before anything reads or writes (<see cref="MigrateAsync"/>).
/// </summary>
public interface IPatronusDatabase
{
    /// <summary>Which provider this is.</summary>
    StoreProvider Provider { get; }

    /// <summary>Where the data lives, safe to log (never contains a password).</summary>
    string Description { get; }

    /// <summary>Applies every pending migration, each in its own transaction. Returns the versions applied now.</summary>
    Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The highest applied migration version, 0 on an empty database.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default);
}

/// <summary>Storage provider.</summary>
public enum StoreProvider
{
    Sqlite,
    Postgres,
}
