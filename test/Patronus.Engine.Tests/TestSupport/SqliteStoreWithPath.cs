using Patronus.Engine.Paths;
using Patronus.Persistence;

namespace Patronus.Engine.Tests.TestSupport;

/// <summary>
/// A real, migrated SQLite store in a temporary directory holding site s1, link l1 and API path p1,
/// for the engine services that read and write history through it; deleted on dispose.
/// </summary>
public sealed class SqliteStoreWithPath : IAsyncDisposable
{
    private readonly string _directory;

    private SqliteStoreWithPath(string directory, SqlStore store)
    {
        _directory = directory;
        Store = store;
    }

    public SqlStore Store { get; }

    public static async Task<SqliteStoreWithPath> CreateAsync(TimeProvider clock)
    {
        var directory = Directory.CreateTempSubdirectory("patronus-engine-store-").FullName;
        Assert.True(StoreLocation.TryParse($"sqlite:{Path.Combine(directory, "patronus.db")}", directory, out var location, out var error), error);
        var store = SqlStore.Create(location!, clock);
        await store.MigrateAsync();
        Assert.True((await store.InsertSiteAsync(new Site("s1", "s1", null, ItemSource.Api))).Succeeded);
        Assert.True((await store.InsertLinkAsync(new WanLink("l1", "s1", "l1", null, null, null, 10, ItemSource.Api))).Succeeded);
        Assert.True((await store.InsertPathAsync(new PathDefinition("p1", "p1", "l1", null, ["192.0.2.1"], ItemSource.Api))).Succeeded);
        return new SqliteStoreWithPath(directory, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
