namespace Patronus.Engine.Persistence;

/// <summary>Creates the store for a <see cref="StoreLocation"/>.</summary>
public static class StoreFactory
{
    public static IPatronusStore Create(StoreLocation location, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Provider switch
        {
            StoreProvider.Postgres => new PostgresStore(location, timeProvider),
            _ => new SqliteStore(location, timeProvider),
        };
    }
}
