using Patronus.Engine.Storage;

namespace Patronus.Engine.Failover;

/// <summary>
/// Where failover policies and their events are kept: the failover feature's storage port,
/// implemented for SQLite and PostgreSQL outside the engine (Patronus.Persistence). Policies are
/// written through <see cref="FailoverPolicyService"/>, events by <see cref="FailoverEventRecorder"/>.
/// The store enforces what must hold even when writers race (several API requests, several
/// controllers on one database): a policy name is unique, and a prefix is steered by at most one
/// policy — an insert, update or config sync that would claim another policy's prefix is refused
/// whole with <see cref="StoreStatus.Conflict"/> naming the prefix and its owner.
/// </summary>
public interface IFailoverStore
{
    /// <summary>Every policy, by id.</summary>
    Task<IReadOnlyList<FailoverPolicy>> LoadFailoverPoliciesAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts an API policy; the store assigns its id. Conflict when the name or one of its prefixes is taken; MissingReference when its primary path does not exist.</summary>
    Task<(StoreResult Result, long Id)> InsertFailoverPolicyAsync(FailoverPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Replaces an API policy (by id). NotFound, ReadOnly (a config policy), Conflict (name or a prefix taken) or MissingReference.</summary>
    Task<StoreResult> UpdateFailoverPolicyAsync(FailoverPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Deletes an API policy and its events.</summary>
    Task<StoreResult> DeleteFailoverPolicyAsync(long policyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the config policies equal to <paramref name="configured"/> (matched by name) in one
    /// transaction. With <paramref name="removeOnly"/> it only deletes the config policies no longer
    /// configured — run before the topology sync so removed paths are not still referenced — and
    /// without it inserts and updates the rest. Conflict when a configured name is used by an API
    /// policy, or a configured prefix is steered by another policy.
    /// </summary>
    Task<StoreResult> SyncReadOnlyFailoverPoliciesAsync(IReadOnlyList<FailoverPolicy> configured, bool removeOnly, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of failover events in one transaction; events of policies that no longer exist are skipped.</summary>
    Task<StoreResult> InsertFailoverEventsAsync(IReadOnlyList<FailoverEventRecord> events, CancellationToken cancellationToken = default);

    /// <summary>Events with timestamp ≥ <paramref name="since"/>, newest first, optionally of one policy, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<FailoverEventRecord>> GetFailoverEventsAsync(long? policyId, DateTimeOffset since, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes events with timestamp &lt; <paramref name="cutoff"/> in bounded chunks, each
    /// its own transaction, so a large delete never holds SQLite's single writer for long. Returns the rows deleted.
    /// </summary>
    Task<long> DeleteFailoverEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

/// <summary>A failover event as stored: the event, and the path inputs that caused it as JSON (<c>{"p1":{"score":12.5,"bfd_down":true},…}</c>).</summary>
public sealed record FailoverEventRecord(FailoverEvent Event, string? Details, long EventId = 0);
