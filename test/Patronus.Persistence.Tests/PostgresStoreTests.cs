using System.Data.Common;
using Dapper;
using Npgsql;

namespace Patronus.Persistence.Tests;

/// <summary>The store contract on a real PostgreSQL server, one fresh database per test.</summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class PostgresStoreTests : StoreContractTests
{
    private readonly PostgresFixture _server;
    private string? _database;

    public PostgresStoreTests(PostgresFixture server)
    {
        _server = server;
    }

    protected override async Task<StoreLocation> CreateDatabaseAsync()
    {
        var (name, location) = await _server.CreateDatabaseAsync();
        _database = name;
        return location;
    }

    protected override async Task DeleteDatabaseAsync()
    {
        if (_database is not null)
        {
            await _server.DropDatabaseAsync(_database);
        }
    }

    [Fact]
    public async Task LeaderStoppedMidTransaction_ServerEndsItsSession_LeaseRowFreeAgain()
    {
        // What a SIGSTOPped leader leaves behind: a transaction that locked the lease row and then
        // went silent. With the store's session limits the server ends it, and a takeover can update the row.
        await Store.MigrateAsync();
        await using var stalled = new NpgsqlConnection(PostgresStore.WithSessionLimits(
            new NpgsqlConnectionStringBuilder(Location.ConnectionString) { Pooling = false }.ConnectionString));
        await stalled.OpenAsync();
        var tx = await stalled.BeginTransactionAsync();
        await stalled.ExecuteAsync("SELECT 1 FROM cluster_lease FOR UPDATE", transaction: tx);
        var pid = stalled.ProcessID;

        await using var other = await OpenRawAsync();
        Assert.True(await Patronus.TestSupport.Poll.UntilAsync(
            async () => await other.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", new { pid }) == 0,
            TimeSpan.FromSeconds(15)), $"session {pid} idle in its transaction still alive after 15 s");
        await other.ExecuteAsync("SET lock_timeout = '1s'; UPDATE cluster_lease SET term = term");
    }

    /// <summary>
    /// The delete runs first and holds the path's row until the rollup's write of that path waits for
    /// it (a lock wait in <c>pg_stat_activity</c>), then commits: the rollup read the path's source
    /// before the delete committed and writes after.
    /// </summary>
    protected override async Task<int> RollupWhilePathIsDeletedAsync(string pathId, Func<Task<int>> rollup)
    {
        await using var deleter = await OpenRawAsync();
        await using var tx = await deleter.BeginTransactionAsync();
        Assert.Equal(1, await deleter.ExecuteAsync("DELETE FROM sdwan_paths WHERE path_id = @pathId", new { pathId }, tx));

        var running = rollup();
        await using var watcher = await OpenRawAsync();
        Assert.True(await Patronus.TestSupport.Poll.UntilAsync(async () => running.IsCompleted || await watcher.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0,
            TimeSpan.FromSeconds(20)), "the rollup never waited for the deleted path's row");
        Assert.False(running.IsCompleted, "the rollup finished without writing the deleted path's block");

        await tx.CommitAsync();
        return await running;
    }

    [Theory]
    [InlineData("Host=h;Database=d", "-c idle_in_transaction_session_timeout=2000")]
    [InlineData("Host=h;Database=d;Options=-c search_path=x", "-c search_path=x -c idle_in_transaction_session_timeout=2000")]
    [InlineData("Host=h;Database=d;Options=-c idle_in_transaction_session_timeout=500", "-c idle_in_transaction_session_timeout=500")]
    public void WithSessionLimits_AddsTheLimitUnlessSet(string connectionString, string options) =>
        Assert.Equal(options, new NpgsqlConnectionStringBuilder(PostgresStore.WithSessionLimits(connectionString)).Options);

    [Theory]
    [InlineData("Host=h;Database=d", PostgresStore.DefaultMaxPoolSize)]
    [InlineData("Host=h;Database=d;Maximum Pool Size=100", 100)]
    [InlineData("Host=h;Database=d;maxpoolsize=40", 40)]
    public void WithSessionLimits_BoundsThePoolUnlessSet(string connectionString, int maxPoolSize) =>
        Assert.Equal(maxPoolSize, new NpgsqlConnectionStringBuilder(PostgresStore.WithSessionLimits(connectionString)).MaxPoolSize);

    [Theory]
    [InlineData("Host=h;Database=d", PostgresStore.DefaultConnectTimeoutSeconds, PostgresStore.DefaultCancellationTimeoutMilliseconds, PostgresStore.DefaultKeepAliveSeconds, 30)]
    [InlineData("Host=h;Database=d;Timeout=20;Cancellation Timeout=-1;Keepalive=0;Command Timeout=60", 20, -1, 0, 60)]
    [InlineData("Host=h;Database=d;timeout=3;cancellationtimeout=500", 3, 500, PostgresStore.DefaultKeepAliveSeconds, 30)]
    public void WithSessionLimits_TimeoutsDefaultUnlessSet(string connectionString, int connect, int cancellation, int keepAlive, int command)
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresStore.WithSessionLimits(connectionString));

        Assert.Equal((connect, cancellation, keepAlive, command), (built.Timeout, built.CancellationTimeout, built.KeepAlive, built.CommandTimeout));
    }

    [Fact]
    public void WithSessionLimits_Defaults_CancellationConfirmedWithinTheLease_PoolWaitFailsBeforeHaproxysServerTimeout()
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresStore.WithSessionLimits("Host=h;Database=d"));
        var lease = new Engine.Cluster.ClusterOptions().LeaseDuration;

        // A cancelled statement (a lease attempt given up at the lease) gives its connection up within half a lease more.
        Assert.InRange(TimeSpan.FromMilliseconds(built.CancellationTimeout), TimeSpan.FromMilliseconds(1), lease / 2);
        // A request waiting for a connection fails (and is retried by HAProxy) long before deploy/haproxy's 15 s server timeout.
        Assert.InRange(built.Timeout, 1, 15 / 2);
        Assert.InRange(built.KeepAlive, 1, 60);
    }

    protected override async Task<DbConnection> OpenRawAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Location.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    protected override async Task<IReadOnlyList<string>> TableNamesAsync(DbConnection connection) =>
        (await connection.QueryAsync<string>(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).ToList();

    protected override async Task<(string Table, IReadOnlyList<string> Columns)?> FindIndexAsync(DbConnection connection, string index)
    {
        var table = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT tablename FROM pg_indexes WHERE schemaname = current_schema() AND indexname = @Index", new { Index = index });
        if (table is null)
        {
            return null;
        }

        // pg_indexes only has the definition text; the key columns in order come from pg_index.
        var columns = await connection.QueryAsync<string>("""
            SELECT a.attname
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
            WHERE i.relname = @Index AND i.relnamespace = current_schema()::regnamespace
            ORDER BY k.ord
            """, new { Index = index });
        return (table, columns.ToList());
    }

    [Fact]
    public void Description_PasswordInConnectionString_NotShown()
    {
        Assert.Equal(StoreProvider.Postgres, Store.Provider);
        var password = new NpgsqlConnectionStringBuilder(Location.ConnectionString).Password;
        if (!string.IsNullOrEmpty(password))
        {
            Assert.DoesNotContain(password, Store.Description, StringComparison.Ordinal);
        }
    }
}
