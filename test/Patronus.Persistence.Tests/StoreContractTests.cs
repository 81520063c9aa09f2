using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>
/// The storage contract of every port <see cref="SqlStore"/> implements (topology, health history,
/// failover, users/audit/secrets, the database itself), run against every provider by a derived
/// class (<see cref="SqliteStoreTests"/>, <see cref="PostgresStoreTests"/>). Every test gets a
/// fresh, empty database. This file: lifecycle, helpers, migrations and schema; the other partials
/// cover one port each (topology writes, the read-only sync, path health, rollups, stats, failover, security).
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<SqlStore> _stores = [];
    private SqlStore? _store;

    protected FakeTimeProvider Time { get; } = new(Start);

    /// <summary>Where this test's database lives.</summary>
    protected StoreLocation Location { get; private set; } = null!;

    /// <summary>A store on this test's database, not yet migrated.</summary>
    protected SqlStore Store => _store!;

    /// <summary>Creates an empty database for one test.</summary>
    protected abstract Task<StoreLocation> CreateDatabaseAsync();

    /// <summary>Removes the database after the test and every store on it is disposed.</summary>
    protected abstract Task DeleteDatabaseAsync();

    /// <summary>A connection to this test's database that bypasses the store (no pooling).</summary>
    protected abstract Task<DbConnection> OpenRawAsync();

    /// <summary>Names of the user tables.</summary>
    protected abstract Task<IReadOnlyList<string>> TableNamesAsync(DbConnection connection);

    /// <summary>The table and ordered key columns of an index, or null when there is no such index.</summary>
    protected abstract Task<(string Table, IReadOnlyList<string> Columns)?> FindIndexAsync(DbConnection connection, string index);

    public async Task InitializeAsync()
    {
        Location = await CreateDatabaseAsync();
        _store = NewStore();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await DeleteDatabaseAsync();
    }

    /// <summary>Another store instance on the same database (as a second controller would have).</summary>
    protected SqlStore NewStore()
    {
        var store = SqlStore.Create(Location, Time);
        _stores.Add(store);
        return store;
    }

    /// <summary>Every migration version, in order.</summary>
    protected static int[] AllVersions { get; } = Migrations.All.Select(m => m.Version).ToArray();

    protected async Task<SqlStore> MigratedStoreAsync()
    {
        Assert.Equal(AllVersions, await Store.MigrateAsync());
        return Store;
    }

    /// <summary>Applies migrations 1 to <paramref name="upTo"/> straight to the database, as an older release left it.</summary>
    protected async Task MigrateRawAsync(int upTo)
    {
        Assert.Equal(0, await Store.GetSchemaVersionAsync()); // through the store first: it creates the SQLite file's directory
        await using var connection = await OpenRawAsync();
        await connection.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        foreach (var migration in Migrations.All.Where(m => m.Version <= upTo))
        {
            await connection.ExecuteAsync(Store.Provider == StoreProvider.Sqlite ? migration.Sqlite : migration.Postgres);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, 0)", new { migration.Version, migration.Name });
        }
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_AppliesVersion1ThenNothing()
    {
        Assert.Equal(0, await Store.GetSchemaVersionAsync());

        Assert.Equal(AllVersions, await Store.MigrateAsync());
        Assert.Equal(AllVersions[^1], await Store.GetSchemaVersionAsync());

        Assert.Empty(await Store.MigrateAsync());
        Assert.Equal(AllVersions[^1], await Store.GetSchemaVersionAsync());
    }

    [Fact]
    public async Task MigrateAsync_NewStoreOnMigratedDatabase_AppliesNothing()
    {
        await MigratedStoreAsync();

        var second = NewStore();

        Assert.Equal(AllVersions[^1], await second.GetSchemaVersionAsync());
        Assert.Empty(await second.MigrateAsync());
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_CreatesSeedTables()
    {
        await MigratedStoreAsync();

        await using var connection = await OpenRawAsync();
        var tables = await TableNamesAsync(connection);

        foreach (var table in new[]
        {
            "schema_migrations", "sdwan_sites", "sdwan_links", "sdwan_paths",
            "sdwan_path_health", "sdwan_failover_policies", "sdwan_failover_events",
            "sdwan_users", "sdwan_refresh_tokens", "sdwan_audit_log", "sdwan_secrets",
        })
        {
            Assert.Contains(table, tables);
        }
    }

    [Theory]
    [InlineData("idx_path_health_path_time", "sdwan_path_health", new[] { "path_id", "timestamp" })]
    [InlineData("idx_failover_events_policy_time", "sdwan_failover_events", new[] { "policy_id", "timestamp" })]
    [InlineData("idx_links_site", "sdwan_links", new[] { "site_id" })]
    [InlineData("idx_paths_link", "sdwan_paths", new[] { "link_id" })]
    public async Task MigrateAsync_EmptyDatabase_CreatesIndex(string index, string table, string[] columns)
    {
        await MigratedStoreAsync();

        await using var connection = await OpenRawAsync();
        var found = await FindIndexAsync(connection, index);

        Assert.NotNull(found);
        Assert.Equal(table, found.Value.Table);
        Assert.Equal(columns, found.Value.Columns);
    }

    [Fact]
    public async Task MigrateAsync_TwoStoresAtOnce_AppliesVersion1ExactlyOnce()
    {
        var first = NewStore();
        var second = NewStore();
        // Warm both pools so the two migrations reach the database together rather than one connection-setup apart.
        Assert.Equal(0, await first.GetSchemaVersionAsync());
        Assert.Equal(0, await second.GetSchemaVersionAsync());

        var applied = await Task.WhenAll(first.MigrateAsync(), second.MigrateAsync());

        // One of them applied version 1, the other found it applied under the lock.
        Assert.Equal(AllVersions, applied.SelectMany(a => a).Order().ToArray());
        Assert.Equal(AllVersions[^1], await first.GetSchemaVersionAsync());
        await using var connection = await OpenRawAsync();
        Assert.Equal((long)AllVersions.Length, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task GetSchemaVersionAsync_EmptyDatabase_IsZeroAndCreatesNothing()
    {
        Assert.Equal(0, await Store.GetSchemaVersionAsync());

        await using var connection = await OpenRawAsync();
        Assert.Empty(await TableNamesAsync(connection));
    }

    [Fact]
    public async Task LoadTopologyAsync_FreshSchema_IsEmpty()
    {
        var store = await MigratedStoreAsync();

        var topology = await store.LoadTopologyAsync();

        Assert.Empty(topology.Sites);
        Assert.Empty(topology.Links);
        Assert.Empty(topology.Paths);
    }

    // ---- shared data and assertions ----

    protected static Site ApiSite(string id, string? name = null) => new(id, name ?? $"Site {id}", $"{id} description", ItemSource.Api);

    protected static WanLink ApiLink(string id, string siteId, int cost = 10) =>
        new(id, siteId, $"Link {id}", "eth1", "192.0.2.10", "192.0.2.1", cost, ItemSource.Api);

    protected static PathDefinition ApiPath(string id, string linkId, params string[] targets) =>
        new(id, $"Path {id}", linkId, null, targets.Length == 0 ? ["198.51.100.1"] : targets, ItemSource.Api);

    /// <summary>A migrated store holding site s1, link l1 on it and path p1 on that link, all API items.</summary>
    protected async Task<SqlStore> StoreWithApiPathAsync()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await store.InsertLinkAsync(ApiLink("l1", "s1")));
        AssertOk(await store.InsertPathAsync(ApiPath("p1", "l1")));
        return store;
    }

    protected static void AssertOk(StoreResult result) =>
        Assert.True(result.Succeeded, $"expected Ok, got {result.Status}: {result.Message}");

    protected static void AssertStatus(StoreStatus expected, StoreResult result, string? messageContains = null)
    {
        Assert.Equal(expected, result.Status);
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, result.Message, StringComparison.Ordinal);
        }
    }

    protected static void AssertSamePath(PathDefinition expected, PathDefinition actual)
    {
        Assert.Equal(expected.Targets, actual.Targets);
        Assert.True(expected.SameAs(actual), $"expected {expected}, got {actual}");
    }
}
