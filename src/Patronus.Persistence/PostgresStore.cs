using System.Data.Common;
using Dapper;
using Npgsql;

namespace Patronus.Persistence;

/// <summary>PostgreSQL store for several controller instances sharing one database.</summary>
public sealed class PostgresStore : SqlStore
{
    /// <summary>Advisory lock key held while migrating, so concurrent instances migrate one at a time.</summary>
    private const long MigrationLockKey = 0x5041_5452_4F4E; // "PATRON"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresStore(StoreLocation location, TimeProvider timeProvider, Engine.Cluster.ILeadership? leadership = null)
        : base(timeProvider, leadership)
    {
        ArgumentNullException.ThrowIfNull(location);
        _dataSource = NpgsqlDataSource.Create(WithSessionLimits(location.ConnectionString));
        Description = location.Description;
    }

    /// <summary>
    /// How long the server lets one of our sessions sit idle inside a transaction before it ends
    /// the session. A leader-only write holds the lease row (<c>FOR SHARE</c>) until its
    /// transaction ends, and a takeover waits for it: a leader stopped mid-write (SIGSTOP, a VM
    /// paused, a partition that leaves the TCP connection open) would otherwise hold the cluster
    /// leaderless for as long as it stays stopped. Our transactions never wait on anything but the
    /// database between statements, so 2 s (the default lease) is far beyond a healthy one.
    /// </summary>
    public static readonly TimeSpan IdleInTransactionLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Connections one instance opens at most, unless the connection string sets <c>Maximum Pool
    /// Size</c>: 25. Npgsql's default (100) is PostgreSQL's whole default <c>max_connections</c>, so
    /// three instances under load could take every slot and then fail requests with "remaining
    /// connection slots are reserved" (the cluster lab did, at 200 requests/s through HAProxy). With
    /// 25, three instances fit in 75 and a burst waits for a pooled connection instead.
    /// </summary>
    public const int DefaultMaxPoolSize = 25;

    /// <summary>
    /// How long opening a connection — or waiting for a free one in the pool — may take, unless the
    /// connection string sets <c>Timeout</c>: 5 s (Npgsql's default is 15 s). On a store that stopped
    /// answering, the pool's 25 connections are taken within a fraction of a second under load, and
    /// every further request waits here: 5 s later it fails (500), which HAProxy retries on another
    /// node well before its own 15 s server timeout, instead of holding the client 15 s.
    /// </summary>
    public const int DefaultConnectTimeoutSeconds = 5;

    /// <summary>
    /// How long Npgsql waits for the server to confirm a cancelled command (a token fired: a request
    /// aborted, a lease attempt given up at the lease) before it breaks the connection, unless the
    /// connection string sets <c>Cancellation Timeout</c>: 1 s, half the default lease (Npgsql's default
    /// is 2 s). A healthy server confirms in milliseconds; a black-holed one never does, and the sooner
    /// the connection goes, the sooner its pool slot is free. The lease loop and the store check do not
    /// depend on it: each bounds its wait on its own clock.
    /// </summary>
    public const int DefaultCancellationTimeoutMilliseconds = 1_000;

    /// <summary>
    /// Seconds a pooled connection may sit idle before Npgsql sends it a keepalive query, unless the
    /// connection string sets <c>Keepalive</c>: 10 s (Npgsql's default: never). A connection whose
    /// server restarted or whose path died is found and dropped from the pool while idle, not by the
    /// next request (or lease renewal) that takes it. Cost: one empty query per idle connection per 10 s.
    /// </summary>
    public const int DefaultKeepAliveSeconds = 10;

    /// <summary>
    /// The connection string with <see cref="IdleInTransactionLimit"/> as a session option and
    /// <see cref="DefaultMaxPoolSize"/> as the pool's bound, each unless it already sets its own, and the
    /// connection defaults of <see cref="WithConnectionDefaults"/>. <c>Command Timeout</c> stays Npgsql's
    /// 30 s: a rollup catching up after downtime reads a day of blocks of every path in one statement, and
    /// nothing depends on a shorter bound (the lease loop and the store check bound their own waits;
    /// HAProxy retries a request that hangs past 15 s on another node).
    /// </summary>
    internal static string WithSessionLimits(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(WithConnectionDefaults(connectionString));
        if (builder.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) != true)
        {
            builder.Options = $"{builder.Options} -c idle_in_transaction_session_timeout={(int)IdleInTransactionLimit.TotalMilliseconds}".Trim();
        }

        if (!WrittenKeys(connectionString).Overlaps(["MAXPOOLSIZE", "MAXIMUMPOOLSIZE"]))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// The connection string with <see cref="DefaultConnectTimeoutSeconds"/>,
    /// <see cref="DefaultCancellationTimeoutMilliseconds"/> and <see cref="DefaultKeepAliveSeconds"/>, each
    /// unless it already sets its own: what every connection this process opens to the store needs so that
    /// a store that stops answering (black-holed: nothing refused, nothing answered) is given up in seconds,
    /// not after Npgsql's 15 s connect timeout or never. The store's pool takes them through
    /// <see cref="WithSessionLimits"/>; the cluster relay's notifier pool and its listener
    /// (<see cref="PostgresClusterChannel"/>) take them from here.
    /// </summary>
    internal static string WithConnectionDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var written = WrittenKeys(connectionString);
        if (!written.Overlaps(["TIMEOUT", "CONNECTTIMEOUT", "CONNECTIONTIMEOUT"]))
        {
            builder.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (!written.Contains("CANCELLATIONTIMEOUT"))
        {
            builder.CancellationTimeout = DefaultCancellationTimeoutMilliseconds;
        }

        if (!written.Contains("KEEPALIVE"))
        {
            builder.KeepAlive = DefaultKeepAliveSeconds;
        }

        return builder.ConnectionString;
    }

    /// <summary>The keys a connection string sets, upper case without spaces: Npgsql's builder cannot tell a default from a value given.</summary>
    private static HashSet<string> WrittenKeys(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

    public override StoreProvider Provider => StoreProvider.Postgres;

    public override string Description { get; }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@Key)", new { Key = MigrationLockKey }, tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return tx;
    }

    protected override string MigrationSql(Migration migration) => migration.Postgres;

    // clock_timestamp(), not now(): now() is the transaction's start, and a fence inside a long write would see an old clock.
    private protected override string NowMsSql => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint";

    private protected override string FenceLockSql => "FOR SHARE";

    private protected override string PathKeyLockSql => "FOR KEY SHARE";

    protected override ConstraintKind? Classify(DbException exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => ConstraintKind.Unique,
        PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } => ConstraintKind.ForeignKey,
        _ => null,
    };

    protected override async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass(@Table) IS NOT NULL", new { Table = table }, cancellationToken: cancellationToken)).ConfigureAwait(false);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
