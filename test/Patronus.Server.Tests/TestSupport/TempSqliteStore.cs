using Patronus.Persistence;

namespace Patronus.Server.Tests.TestSupport;

/// <summary>A real, migrated SQLite store in a temporary directory, on the given clock; deleted on dispose.</summary>
public sealed class TempSqliteStore : IAsyncDisposable
{
    private readonly TempDir _dir;

    private TempSqliteStore(TempDir dir, SqliteStore store)
    {
        _dir = dir;
        Store = store;
    }

    public SqliteStore Store { get; }

    public static async Task<TempSqliteStore> CreateAsync(TimeProvider time)
    {
        var dir = new TempDir();
        Assert.True(StoreLocation.TryParse("sqlite:" + System.IO.Path.Combine(dir.Path, "patronus.db"), dir.Path, out var location, out var error), error);
        var store = new SqliteStore(location!, time);
        await store.MigrateAsync();
        return new TempSqliteStore(dir, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _dir.Dispose();
    }
}
