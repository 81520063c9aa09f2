using Dapper;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;

namespace Patronus.Persistence;

/// <summary>
/// What the cluster relay reads (<see cref="IClusterFeedStore"/>, docs/ha.md): failover events past
/// a cursor by id (the primary key: an index range scan), and the store's size.
/// </summary>
public abstract partial class SqlStore : IClusterFeedStore
{
    public async Task<long> GetLastFailoverEventIdAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(event_id) FROM sdwan_failover_events", cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
    }

    public async Task<IReadOnlyList<FailoverEventRecord>> GetFailoverEventsAfterAsync(long afterId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<FailoverEventRow>(new CommandDefinition("""
            SELECT event_id, policy_id, event_type, from_path_id, to_path_id, reason, details, timestamp
            FROM sdwan_failover_events
            WHERE event_id > @AfterId
            ORDER BY event_id
            LIMIT @Limit
            """, new { AfterId = afterId, Limit = Math.Max(1, limit) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<long> GetStateSizeBytesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // PostgreSQL: every relation of the database (tables, indexes, TOAST) as the server counts it.
        // SQLite: the main file's pages (the WAL, checkpointed often, is not counted).
        var sql = Provider == StoreProvider.Postgres
            ? "SELECT pg_database_size(current_database())"
            : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
