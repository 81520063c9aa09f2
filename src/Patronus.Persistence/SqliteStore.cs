using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Patronus.Persistence;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (readers never block the writer) with foreign
/// keys enforced on every connection (the connection string sets <c>Foreign Keys=True</c>), and
/// incremental auto-vacuum so that what retention deletes is given back to the file system
/// (<see cref="ReclaimSpaceAsync"/>) and the file's size levels off instead of only ever growing.
/// This file: connections and migration locking; <c>SqliteStore.Vacuum.cs</c>: the file's size.
/// </summary>
public sealed partial class SqliteStore : SqlStore
{
    private readonly string _connectionString;
    private readonly string _file;
    private readonly ILogger _logger;
    private int _walChecked;

    /// <param name="location">The file.</param>
    /// <param name="timeProvider">The clock that stamps records.</param>
    /// <param name="logger">Where the once-per-start vacuum conversion is reported; none when null.</param>
    /// <param name="leadership">Fences leader-only writes; the single-node leadership is never checked.</param>
    public SqliteStore(StoreLocation location, TimeProvider timeProvider, ILogger? logger = null, Engine.Cluster.ILeadership? leadership = null)
        : base(timeProvider, leadership)
    {
        ArgumentNullException.ThrowIfNull(location);
        _connectionString = location.ConnectionString;
        _file = new SqliteConnectionStringBuilder(location.ConnectionString).DataSource;
        _logger = logger ?? NullLogger.Instance;
        Description = location.Description;
    }

    public override StoreProvider Provider => StoreProvider.Sqlite;

    public override string Description { get; }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _walChecked) == 0)
        {
            var dir = Path.GetDirectoryName(_file);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _walChecked, 1) == 0)
        {
            // Both are properties of the file and persist; setting them once per process is enough.
            // auto_vacuum first: it takes effect only before the first table is created (an older
            // file keeps NONE until a VACUUM, see AfterMigrateAsync).
            await connection.ExecuteAsync("PRAGMA auto_vacuum=INCREMENTAL").ConfigureAwait(false);
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL").ConfigureAwait(false);
        }

        return connection;
    }

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE takes the write lock up front, so two processes cannot migrate at once.
        var sqlite = (SqliteConnection)connection;
        return await Task.FromResult<DbTransaction>(sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: false)).ConfigureAwait(false);
    }

    protected override string MigrationSql(Migration migration) => migration.Sqlite;

    // julianday('now') is stable within one statement; the Unix epoch is Julian day 2440587.5.
    private protected override string NowMsSql => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    protected override ConstraintKind? Classify(DbException exception) => exception switch
    {
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555), SQLITE_CONSTRAINT_UNIQUE (2067), SQLITE_CONSTRAINT_FOREIGNKEY (787)
        SqliteException { SqliteExtendedErrorCode: 1555 or 2067 } => ConstraintKind.Unique,
        SqliteException { SqliteExtendedErrorCode: 787 } => ConstraintKind.ForeignKey,
        _ => null,
    };

    protected override async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @Table", new { Table = table },
            cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file (and its -wal) open; release them so the WAL is
        // checkpointed and the file can be copied or deleted after shutdown.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
