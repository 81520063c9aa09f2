using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Persistence.Security;

namespace Patronus.Persistence;

/// <summary>
/// The SQL both providers share, behind every storage port: the engine's (topology, health
/// history, failover) and the server's (users, audit, secrets). The two dialects agree on everything
/// used here (<c>INSERT … ON CONFLICT … DO UPDATE … WHERE</c>, <c>@name</c> parameters,
/// <c>IF NOT EXISTS</c>); subclasses supply connections, locking and constraint-error
/// classification. This file: the shared core (migrations, chunked retention deletes); each port's
/// SQL is in its own partial.
/// </summary>
public abstract partial class SqlStore : IPatronusDatabase, ITopologyStore, IHealthHistoryStore, IFailoverStore, IUserStore, IAuditStore, ISecretStore,
    IAsyncDisposable
{
    protected SqlStore(TimeProvider timeProvider, ILeadership? leadership = null)
    {
        TimeProvider = timeProvider;
        Leadership = leadership;
    }

    public abstract StoreProvider Provider { get; }

    public abstract string Description { get; }

    protected TimeProvider TimeProvider { get; }

    /// <summary>Opens a pooled connection.</summary>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins the transaction a migration runs in, holding whatever lock keeps two instances from migrating at once.</summary>
    protected abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The migration's SQL in this dialect.</summary>
    protected abstract string MigrationSql(Migration migration);

    /// <summary>Maps a constraint violation to a status; null when the exception is not one.</summary>
    protected abstract ConstraintKind? Classify(DbException exception);

    /// <summary>Kinds of constraint violation the store turns into values.</summary>
    protected enum ConstraintKind
    {
        Unique,
        ForeignKey,
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>The wall clock now, as stored: Unix milliseconds.</summary>
    private protected long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Under the migration lock too: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a
        // concurrent one (the loser fails on pg_type's unique index instead of skipping).
        await using (var bootstrap = await BeginMigrationAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                transaction: bootstrap, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await bootstrap.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = new List<int>();
        foreach (var migration in Migrations.All)
        {
            await using var tx = await BeginMigrationAsync(connection, cancellationToken).ConfigureAwait(false);

            // Re-read under the lock: another instance may have applied it while we waited.
            var done = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version",
                new { migration.Version }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (done > 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(MigrationSql(migration), transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @Now)",
                new { migration.Version, migration.Name, Now = NowMs }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }

        await AfterMigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        return applied;
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (int)(await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT MAX(version) FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0);
        }
        catch (DbException)
        {
            if (await TableExistsAsync(connection, "schema_migrations", cancellationToken).ConfigureAwait(false))
            {
                throw;
            }

            return 0;
        }
    }

    /// <summary>True when the table exists (used to tell "not migrated" from "store broken").</summary>
    protected abstract Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken);


    /// <summary>
    /// Creates the store for a <see cref="StoreLocation"/>, not yet migrated; <paramref name="loggerFactory"/> (optional) is where SQLite
    /// reports its file's conversion to incremental auto-vacuum; <paramref name="leadership"/> (optional) fences the leader-only writes
    /// (<see cref="FenceAsync"/>).
    /// </summary>
    public static SqlStore Create(StoreLocation location, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null, ILeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Provider switch
        {
            StoreProvider.Postgres => new PostgresStore(location, timeProvider, leadership),
            _ => new SqliteStore(location, timeProvider, loggerFactory?.CreateLogger<SqliteStore>(), leadership),
        };
    }

    /// <summary>
    /// Rows deleted per retention statement (and transaction). Measured on SQLite on the dev box at
    /// 20–30 µs a raw row (three b-trees to update), 2,000 rows hold the single writer ~40–60 ms, short enough that
    /// the health recorder's 1 s batches barely notice even while a day of samples expires. Settable for tests.
    /// </summary>
    internal int RetentionChunkRows { get; set; } = 2_000;

    /// <summary>
    /// Deletes the rows of <paramref name="table"/> whose <paramref name="column"/> is before
    /// <paramref name="cutoff"/>, <see cref="RetentionChunkRows"/> at a time, each chunk its own
    /// transaction, fenced (<see cref="FenceAsync"/>: a refused chunk ends the delete, returning what was
    /// deleted before it). <paramref name="key"/> lists the key columns the chunk's LIMITed subquery picks:
    /// neither dialect shares <c>DELETE … LIMIT</c>, and both compare row values such as
    /// <c>(path_id, bucket_start)</c> for a composite key.
    /// </summary>
    private protected async Task<long> DeleteBeforeAsync(string table, string key, string column, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var sql = $"DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE {column} < @Cutoff LIMIT @Chunk)";
        var args = new { Cutoff = cutoff.ToUnixTimeMilliseconds(), Chunk = RetentionChunkRows };

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        long deleted = 0;
        int chunk;
        do
        {
            // Each chunk is its own transaction, fenced: retention is the leader's work (docs/ha.md).
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if ((await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false)).Refused is not null)
            {
                return deleted;
            }

            chunk = await connection.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            deleted += chunk;
        }
        while (chunk >= RetentionChunkRows);

        await ReclaimSpaceAsync(connection, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>
    /// Gives the space that deletes freed back to the file system, after every retention delete (the
    /// one place every expiring table passes through). A no-op by default: PostgreSQL's autovacuum
    /// does it; SQLite overrides it.
    /// </summary>
    private protected virtual Task ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Work on the freshly migrated database the provider needs once per start (none by default).</summary>
    private protected virtual Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;
}
