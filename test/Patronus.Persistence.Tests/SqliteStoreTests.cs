using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Patronus.Persistence.Tests;

/// <summary>The store contract on a real SQLite file in a temporary directory, plus what only SQLite has.</summary>
public sealed partial class SqliteStoreTests : StoreContractTests
{
    private string? _directory;

    private string File => Path.Combine(_directory!, "store", StoreLocation.DefaultFileName);

    protected override Task<StoreLocation> CreateDatabaseAsync()
    {
        _directory = Directory.CreateTempSubdirectory("patronus-sqlite-").FullName;
        // A directory that does not exist yet: the store must create it.
        Assert.True(StoreLocation.TryParse($"sqlite:{File}", _directory, out var location, out var error), error);
        return Task.FromResult(location!);
    }

    protected override Task DeleteDatabaseAsync()
    {
        if (_directory is not null)
        {
            // The stores are disposed (their pools cleared); raw connections are never pooled.
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    protected override async Task<DbConnection> OpenRawAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(Location.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    protected override async Task<IReadOnlyList<string>> TableNamesAsync(DbConnection connection) =>
        (await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).ToList();

    protected override async Task<(string Table, IReadOnlyList<string> Columns)?> FindIndexAsync(DbConnection connection, string index)
    {
        var table = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = @Index", new { Index = index });
        if (table is null)
        {
            return null;
        }

        var columns = await connection.QueryAsync<string>("SELECT name FROM pragma_index_info(@Index) ORDER BY seqno", new { Index = index });
        return (table, columns.ToList());
    }

    /// <summary>
    /// SQLite has one writer, so no delete can fall between the rollup's read and its write; the write
    /// sees what it would see if one had: the path gone and its source blocks still there (deleted on a
    /// connection without foreign keys, so nothing cascades).
    /// </summary>
    protected override async Task<int> RollupWhilePathIsDeletedAsync(string pathId, Func<Task<int>> rollup)
    {
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder(Location.ConnectionString) { Pooling = false, ForeignKeys = false }.ConnectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(1, await connection.ExecuteAsync("DELETE FROM sdwan_paths WHERE path_id = @pathId", new { pathId }));
            Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_path_health_10s WHERE path_id = @pathId", new { pathId }) > 0);
        }

        return await rollup();
    }

    [Fact]
    public async Task MigrateAsync_NewFile_FileIsInWalMode()
    {
        await MigratedStoreAsync();

        Assert.True(System.IO.File.Exists(File));
        await using var connection = await OpenRawAsync();
        // journal_mode is stored in the file, so a connection that never asked for WAL sees it.
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task StoreConnection_Always_EnforcesForeignKeys()
    {
        await MigratedStoreAsync();

        // Foreign keys are per connection in SQLite: the store's connection string must turn them on.
        await using var connection = await OpenRawAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
        var ex = await Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync(
            "INSERT INTO sdwan_links (link_id, site_id, name, cost, source, created_at, updated_at) VALUES ('l', 'ghost', 'l', 1, 'api', 0, 0)"));
        Assert.Equal(787, ex.SqliteExtendedErrorCode);
    }

    [Fact]
    public async Task DisposeAsync_AfterWrites_CheckpointsAndRemovesWal()
    {
        var store = await StoreWithApiPathAsync();
        Assert.True(System.IO.File.Exists(File + "-wal"));

        await store.DisposeAsync();

        // The last connection to close checkpoints the WAL into the main file and deletes it, so the
        // file alone is a complete copy after shutdown.
        Assert.False(System.IO.File.Exists(File + "-wal"));
        Assert.Equal(["p1"], (await NewStore().LoadTopologyAsync()).Paths.Select(p => p.Id));
    }
}
