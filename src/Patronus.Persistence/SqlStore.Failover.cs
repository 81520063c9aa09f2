using System.Data;
using System.Data.Common;
using System.Net;
using System.Text.Json;
using Dapper;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>
/// Failover policies and their events (<see cref="IFailoverStore"/>). A policy's prefixes are kept
/// twice: as the JSON list in its row (the order the operator gave, what is read back) and as one
/// row each in <c>sdwan_failover_prefixes</c>, whose primary key makes "one policy per prefix" hold
/// however writers race. Both are written in the same transaction.
/// </summary>
public abstract partial class SqlStore
{
    private const string PolicyColumns = """
        policy_id, name, primary_path_id, backup_path_ids, failover_threshold, failback_threshold,
        failback_delay_secs, enabled, prefixes, source, traffic_class
        """;

    public async Task<IReadOnlyList<FailoverPolicy>> LoadFailoverPoliciesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<PolicyRow>(new CommandDefinition(
            $"SELECT {PolicyColumns} FROM sdwan_failover_policies ORDER BY policy_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToPolicy()).ToList();
    }

    public async Task<(StoreResult Result, long Id)> InsertFailoverPolicyAsync(FailoverPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO sdwan_failover_policies (name, primary_path_id, backup_path_ids, failover_threshold, failback_threshold,
                    failback_delay_secs, enabled, prefixes, source, traffic_class, created_at, updated_at)
                VALUES (@Name, @Primary, @Backups, @FailoverThreshold, @FailbackThreshold, @DelaySecs, @Enabled, @Prefixes, 'api', @Class, @Now, @Now)
                RETURNING policy_id
                """, PolicyArgs(policy, NowMs), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var claimed = await ClaimPrefixesAsync(connection, tx, id, policy, cancellationToken).ConfigureAwait(false);
            if (!claimed.Succeeded)
            {
                return (claimed, 0);
            }

            await CommitWithAnswerAsync(connection, tx, policy with { Id = id }, cancellationToken).ConfigureAwait(false);
            return (StoreResult.Ok, id);
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.Unique)
        {
            return (new(StoreStatus.Conflict, $"a failover policy named '{policy.Name}' already exists"), 0);
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return (new(StoreStatus.MissingReference, $"primary path '{policy.PrimaryPathId}' does not exist"), 0);
        }
    }

    public async Task<StoreResult> UpdateFailoverPolicyAsync(FailoverPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE sdwan_failover_policies SET name = @Name, primary_path_id = @Primary, backup_path_ids = @Backups,
                    failover_threshold = @FailoverThreshold, failback_threshold = @FailbackThreshold, failback_delay_secs = @DelaySecs,
                    enabled = @Enabled, prefixes = @Prefixes, traffic_class = @Class, updated_at = @Now
                WHERE policy_id = @Id AND source = 'api'
                """, PolicyArgs(policy, NowMs), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return await PolicyMissOrReadOnlyAsync(connection, policy.Id, cancellationToken).ConfigureAwait(false);
            }

            var claimed = await ClaimPrefixesAsync(connection, tx, policy.Id, policy, cancellationToken).ConfigureAwait(false);
            if (claimed.Succeeded)
            {
                await CommitWithAnswerAsync(connection, tx, policy, cancellationToken).ConfigureAwait(false);
            }

            return claimed;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.Unique)
        {
            return new(StoreStatus.Conflict, $"a failover policy named '{policy.Name}' already exists");
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, $"primary path '{policy.PrimaryPathId}' does not exist");
        }
    }

    public async Task<StoreResult> DeleteFailoverPolicyAsync(long policyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sdwan_failover_events WHERE policy_id = @Id AND EXISTS (SELECT 1 FROM sdwan_failover_policies WHERE policy_id = @Id AND source = 'api')",
            new { Id = policyId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sdwan_failover_policies WHERE policy_id = @Id AND source = 'api'", new { Id = policyId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (changed == 0)
        {
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return await PolicyMissOrReadOnlyAsync(connection, policyId, cancellationToken).ConfigureAwait(false);
        }

        await CommitWithAnswerAsync(connection, tx, null, cancellationToken).ConfigureAwait(false);
        return StoreResult.Ok;
    }

    public async Task<StoreResult> SyncReadOnlyFailoverPoliciesAsync(IReadOnlyList<FailoverPolicy> configured, bool removeOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configured);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        var names = configured.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var stored = await connection.QueryAsync<(long Id, string Name)>(new CommandDefinition(
            "SELECT policy_id, name FROM sdwan_failover_policies WHERE source = 'config'", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var (id, _) in stored.Where(s => !names.Contains(s.Name)))
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sdwan_failover_events WHERE policy_id = @Id", new { Id = id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sdwan_failover_policies WHERE policy_id = @Id", new { Id = id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (!removeOnly)
        {
            // Config policies give up their prefixes first and claim them again one by one below,
            // so a prefix moved from one configured policy to another in the file is no conflict.
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM sdwan_failover_prefixes WHERE policy_id IN (SELECT policy_id FROM sdwan_failover_policies WHERE source = 'config')",
                transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            try
            {
                foreach (var policy in configured)
                {
                    var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
                        INSERT INTO sdwan_failover_policies (name, primary_path_id, backup_path_ids, failover_threshold, failback_threshold,
                            failback_delay_secs, enabled, prefixes, source, traffic_class, created_at, updated_at)
                        VALUES (@Name, @Primary, @Backups, @FailoverThreshold, @FailbackThreshold, @DelaySecs, @Enabled, @Prefixes, 'config', @Class, @Now, @Now)
                        ON CONFLICT (name) DO UPDATE SET primary_path_id = excluded.primary_path_id, backup_path_ids = excluded.backup_path_ids,
                            failover_threshold = excluded.failover_threshold, failback_threshold = excluded.failback_threshold,
                            failback_delay_secs = excluded.failback_delay_secs, enabled = excluded.enabled, prefixes = excluded.prefixes,
                            traffic_class = excluded.traffic_class, updated_at = excluded.updated_at
                        WHERE sdwan_failover_policies.source = 'config'
                        RETURNING policy_id
                        """, PolicyArgs(policy, NowMs), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (id is not { } policyId)
                    {
                        return new(StoreStatus.Conflict, $"failover policy name '{policy.Name}' from the configuration is already used by a policy created through the API");
                    }

                    var claimed = await ClaimPrefixesAsync(connection, tx, policyId, policy, cancellationToken).ConfigureAwait(false);
                    if (!claimed.Succeeded)
                    {
                        return claimed with { Message = $"failover policy '{policy.Name}' from the configuration: {claimed.Message}" };
                    }
                }
            }
            catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
            {
                return new(StoreStatus.MissingReference, "a configured failover policy refers to a path that does not exist");
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return StoreResult.Ok;
    }

    public async Task<StoreResult> InsertFailoverEventsAsync(IReadOnlyList<FailoverEventRecord> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return StoreResult.Ok;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var fence = await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        if (fence.Refused is { } fenced)
        {
            return fenced;
        }

        // INSERT … SELECT … WHERE EXISTS: an event of a policy deleted meanwhile is skipped, not an error.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sdwan_failover_events (policy_id, event_type, from_path_id, to_path_id, reason, details, timestamp, term)
            SELECT @PolicyId, @Type, @From, @To, @Reason, @Details, @Timestamp, @Term
            WHERE EXISTS (SELECT 1 FROM sdwan_failover_policies WHERE policy_id = @PolicyId)
            """,
            events.Select(e => new
            {
                e.Event.PolicyId,
                Type = FailoverEventNames.Name(e.Event.Type),
                From = e.Event.FromPathId,
                To = e.Event.ToPathId,
                e.Event.Reason,
                e.Details,
                Timestamp = e.Event.Timestamp.ToUnixTimeMilliseconds(),
                fence.Term,
            }), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return StoreResult.Ok;
    }

    public async Task<IReadOnlyList<FailoverEventRecord>> GetFailoverEventsAsync(long? policyId, DateTimeOffset since, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<FailoverEventRow>(new CommandDefinition($"""
            SELECT event_id, policy_id, event_type, from_path_id, to_path_id, reason, details, timestamp
            FROM sdwan_failover_events
            WHERE timestamp >= @Since {(policyId is null ? "" : "AND policy_id = @PolicyId")}
            ORDER BY timestamp DESC, event_id DESC
            LIMIT @Limit
            """, new { Since = since.ToUnixTimeMilliseconds(), PolicyId = policyId ?? 0, Limit = Math.Max(1, limit) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public Task<long> DeleteFailoverEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        DeleteBeforeAsync("sdwan_failover_events", "event_id", "timestamp", cutoff, cancellationToken);

    /// <summary>
    /// Makes <paramref name="policyId"/> hold exactly the prefixes of <paramref name="policy"/> in
    /// <c>sdwan_failover_prefixes</c>, inside the caller's transaction. A prefix another policy holds
    /// is not inserted (<c>ON CONFLICT DO NOTHING</c>; on PostgreSQL the insert first waits for a
    /// concurrent transaction that claims it to end) and makes the whole write a Conflict naming the
    /// prefix and its owner; the caller then rolls back.
    /// </summary>
    private static async Task<StoreResult> ClaimPrefixesAsync(DbConnection connection, DbTransaction tx, long policyId, FailoverPolicy policy,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sdwan_failover_prefixes WHERE policy_id = @Id", new { Id = policyId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var prefix in policy.Prefixes.Select(p => p.ToString()).Distinct(StringComparer.Ordinal))
        {
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sdwan_failover_prefixes (prefix, traffic_class, policy_id) VALUES (@Prefix, @Class, @Id) ON CONFLICT (prefix, traffic_class) DO NOTHING",
                new { Prefix = prefix, Class = policy.Class ?? "", Id = policyId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (inserted == 0)
            {
                var owner = await connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
                    SELECT p.name FROM sdwan_failover_prefixes f JOIN sdwan_failover_policies p ON p.policy_id = f.policy_id
                    WHERE f.prefix = @Prefix AND f.traffic_class = @Class
                    """, new { Prefix = prefix, Class = policy.Class ?? "" }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return new(StoreStatus.Conflict, policy.Class is null
                    ? $"prefix {prefix} is already steered by policy '{owner}'"
                    : $"prefix {prefix} is already steered for class {policy.Class} by policy '{owner}'");
            }
        }

        return StoreResult.Ok;
    }

    private static async Task<StoreResult> PolicyMissOrReadOnlyAsync(DbConnection connection, long id, CancellationToken cancellationToken)
    {
        var source = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT source FROM sdwan_failover_policies WHERE policy_id = @Id", new { Id = id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return source is null
            ? new(StoreStatus.NotFound, $"failover policy {id} does not exist")
            : new(StoreStatus.ReadOnly, $"failover policy {id} is defined in the configuration file and is read-only; change it there");
    }

    private static object PolicyArgs(FailoverPolicy p, long now) => new
    {
        p.Id,
        p.Name,
        Primary = p.PrimaryPathId,
        Backups = JsonSerializer.Serialize(p.BackupPathIds),
        p.FailoverThreshold,
        p.FailbackThreshold,
        DelaySecs = (long)p.FailbackDelay.TotalSeconds,
        Enabled = p.Enabled ? 1 : 0,
        Prefixes = JsonSerializer.Serialize(p.Prefixes.Select(x => x.ToString())),
        p.Class,
        Now = now,
    };

    private sealed class PolicyRow
    {
        public long Policy_Id { get; set; }
        public string Name { get; set; } = "";
        public string Primary_Path_Id { get; set; } = "";
        public string Backup_Path_Ids { get; set; } = "[]";
        public double Failover_Threshold { get; set; }
        public double Failback_Threshold { get; set; }
        public long Failback_Delay_Secs { get; set; }
        public long Enabled { get; set; }
        public string Prefixes { get; set; } = "[]";
        public string Source { get; set; } = "api";
        public string? Traffic_Class { get; set; }

        public FailoverPolicy ToPolicy() => new(Policy_Id, Name, Primary_Path_Id,
            JsonSerializer.Deserialize<List<string>>(Backup_Path_Ids) ?? [], Failover_Threshold, Failback_Threshold,
            TimeSpan.FromSeconds(Failback_Delay_Secs), Enabled != 0,
            (JsonSerializer.Deserialize<List<string>>(Prefixes) ?? []).Select(p => IPNetwork.TryParse(p, out var n) ? n : default).ToList(),
            Source == "config" ? ItemSource.Config : ItemSource.Api, Traffic_Class);
    }

    private sealed class FailoverEventRow
    {
        public long Event_Id { get; set; }
        public long Policy_Id { get; set; }
        public string Event_Type { get; set; } = "";
        public string? From_Path_Id { get; set; }
        public string? To_Path_Id { get; set; }
        public string Reason { get; set; } = "";
        public string? Details { get; set; }
        public long Timestamp { get; set; }

        public FailoverEventRecord ToRecord() => new(
            new FailoverEvent(Policy_Id, FailoverEventNames.Parse(Event_Type), From_Path_Id, To_Path_Id, Reason, DateTimeOffset.FromUnixTimeMilliseconds(Timestamp)),
            Details, Event_Id);
    }
}
