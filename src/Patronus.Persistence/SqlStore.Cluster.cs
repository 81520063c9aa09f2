using System.Data.Common;
using Dapper;
using Patronus.Engine.Cluster;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>
/// Cluster membership, the leader lease and fencing (<see cref="IClusterStore"/>, docs/ha.md). Every
/// time here is the database's clock (<see cref="NowMsSql"/>), never an instance's: instances whose
/// clocks disagree still agree on who holds the lease.
/// </summary>
public abstract partial class SqlStore : IClusterStore
{
    private const string LeaseName = "leader";

    /// <summary>The database's clock now as Unix milliseconds, in this dialect (the real time, not the transaction's start).</summary>
    private protected abstract string NowMsSql { get; }

    /// <summary>What locks the lease row for the rest of the transaction in this dialect (PostgreSQL: <c>FOR SHARE</c>).</summary>
    private protected virtual string FenceLockSql => "";

    /// <summary>
    /// What locks a referenced row against deletion for the rest of the transaction in this dialect, as a
    /// foreign key check does (PostgreSQL: <c>FOR KEY SHARE</c>); SQLite has one writer, nothing to lock.
    /// </summary>
    private protected virtual string PathKeyLockSql => "";

    /// <summary>Who leads, for the fence on leader-only writes; null: no fence (tools, benchmarks, the contract tests of other ports).</summary>
    protected ILeadership? Leadership { get; }

    public async Task<LeaseAttempt> TryAcquireLeaseAsync(string nodeId, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // One statement, so atomic on both providers: the holder keeps its term, anyone else may take
        // a free or expired lease and the term goes up by one. SET reads the row's old values.
        var term = await connection.ExecuteScalarAsync<long?>(new CommandDefinition($"""
            UPDATE cluster_lease SET
                term = CASE WHEN holder = @Node THEN term ELSE term + 1 END,
                acquired_at = CASE WHEN holder = @Node THEN acquired_at ELSE {NowMsSql} END,
                holder = @Node,
                expires_at = {NowMsSql} + @LeaseMs
            WHERE name = @Name AND (holder = @Node OR holder IS NULL OR expires_at < {NowMsSql})
            RETURNING term
            """, new { Node = nodeId, LeaseMs = (long)duration.TotalMilliseconds, Name = LeaseName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (term is { } held)
        {
            return new LeaseAttempt(true, held, nodeId);
        }

        var row = await connection.QuerySingleAsync<(string? Holder, long Term)>(new CommandDefinition(
            "SELECT holder, term FROM cluster_lease WHERE name = @Name", new { Name = LeaseName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new LeaseAttempt(false, row.Term, row.Holder);
    }

    public async Task<bool> ReleaseLeaseAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // The term stays: the next holder increments it, so the released term can never come back.
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE cluster_lease SET holder = NULL, expires_at = 0 WHERE name = @Name AND holder = @Node",
            new { Node = nodeId, Name = LeaseName }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    public async Task HeartbeatAsync(ClusterHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO cluster_nodes (node_id, url, version, leader, term, started_at, last_heartbeat)
            VALUES (@NodeId, @Url, @Version, @Leader, @Term, @StartedAt, {NowMsSql})
            ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, version = excluded.version, leader = excluded.leader,
                term = excluded.term, started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat
            """,
            new
            {
                heartbeat.NodeId,
                heartbeat.Url,
                heartbeat.Version,
                Leader = heartbeat.Leader ? 1 : 0,
                heartbeat.Term,
                StartedAt = heartbeat.StartedAt.ToUnixTimeMilliseconds(),
            }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<ClusterView> GetClusterAsync(TimeSpan nodeTimeout, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var lease = await connection.QuerySingleAsync<(string? Holder, long Term, long ExpiresAt, long Now)>(new CommandDefinition(
            $"SELECT holder, term, expires_at, {NowMsSql} FROM cluster_lease WHERE name = @Name", new { Name = LeaseName },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var since = lease.Now - (long)nodeTimeout.TotalMilliseconds;
        var nodes = (await connection.QueryAsync<(string NodeId, string Url, string Version, long Term, long StartedAt, long LastHeartbeat)>(new CommandDefinition(
            "SELECT node_id, url, version, term, started_at, last_heartbeat FROM cluster_nodes ORDER BY node_id",
            cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(n => new ClusterNode(n.NodeId, n.Url, n.Version, DateTimeOffset.FromUnixTimeMilliseconds(n.StartedAt),
                DateTimeOffset.FromUnixTimeMilliseconds(n.LastHeartbeat), n.LastHeartbeat > since, n.Term))
            .ToList();
        var leader = lease.Holder is not null && lease.ExpiresAt > lease.Now ? lease.Holder : null;
        return new ClusterView(nodes, leader, lease.Term, DateTimeOffset.FromUnixTimeMilliseconds(lease.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(lease.Now));
    }

    /// <summary>
    /// The fence of a leader-only write, run first in the write's own transaction: <see cref="Fence.Refused"/>
    /// is null when the write may go on, else <see cref="StoreStatus.Fenced"/> (and the leadership is
    /// told, so it steps down at once). A checked token must match the lease row — this node, this
    /// term, unexpired on the database's clock — which PostgreSQL then holds with <c>FOR SHARE</c>
    /// until the transaction ends: a takeover's update waits for the write, so no write can commit
    /// under a term that is no longer current. Without a leadership (tools) or on the single-node
    /// store nothing is checked. <see cref="Fence.Term"/> is the term the write goes in under, which
    /// the rows it writes record (migration 12; null without a leadership).
    /// </summary>
    private protected async Task<Fence> FenceAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (Leadership is not { } leadership)
        {
            return new Fence(null, null);
        }

        var token = leadership.Fence;
        if (token is null)
        {
            leadership.Refused(leadership.Term);
            return new Fence(new StoreResult(StoreStatus.Fenced, $"node {leadership.NodeId} is not the leader"), null);
        }

        if (!token.Checked)
        {
            return new Fence(null, token.Term);
        }

        var held = await connection.ExecuteScalarAsync<long?>(new CommandDefinition($"""
            SELECT term FROM cluster_lease
            WHERE name = @Name AND holder = @Node AND term = @Term AND expires_at > {NowMsSql} {FenceLockSql}
            """, new { Name = LeaseName, Node = token.NodeId, token.Term }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (held is not null)
        {
            return new Fence(null, token.Term);
        }

        leadership.Refused(token.Term);
        return new Fence(new StoreResult(StoreStatus.Fenced, $"node {token.NodeId} no longer holds the leader lease under term {token.Term}"), null);
    }

    /// <summary>A fence's outcome: the refusal (null: the write may go on) and the term it goes in under (null: unfenced, no leadership).</summary>
    private protected readonly record struct Fence(StoreResult? Refused, long? Term);
}
