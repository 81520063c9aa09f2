namespace Patronus.Persistence.Idempotency;

/// <summary>
/// Where the REST API keeps the results of writes sent with an <c>Idempotency-Key</c> (docs/ha.md,
/// safe retries): shared by every node of a cluster, so a retry that lands on another node replays
/// the first result instead of running the write again. A key is claimed before the write runs and
/// completed with its response after; times are the caller's clock (Unix ms, as every time here).
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims <paramref name="key"/> for a request whose method, query and body hash to
    /// <paramref name="fingerprint"/>, until <paramref name="claimUntil"/>: the caller runs the write
    /// when it is <see cref="IdempotencyClaimStatus.Claimed"/>. An entry past its expiry counts as
    /// absent; a pending claim past <c>claimUntil</c> with the same fingerprint is abandoned (its
    /// node died mid-request) and is taken over. Otherwise the entry as stored: completed (replay it),
    /// pending (someone runs it now) or a different fingerprint (a mismatch).
    /// </summary>
    Task<IdempotencyClaim> ClaimIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, DateTimeOffset claimUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken = default);

    /// <summary>Stores the response of the claimed request and keeps it until <paramref name="expiresAt"/>; false when the claim is no longer there.</summary>
    Task<bool> CompleteIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, StoredResponse response, DateTimeOffset expiresAt,
        CancellationToken cancellationToken = default);

    /// <summary>Gives up a pending claim (the write failed and may be retried); a completed entry stays.</summary>
    Task ReleaseIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention, the leader's work: deletes entries whose expiry is before <paramref name="cutoff"/>,
    /// in bounded chunks, each its own fenced transaction. Returns the rows deleted.
    /// </summary>
    Task<long> DeleteIdempotencyKeysBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

/// <summary>What a key is scoped to: the authenticated user, the method and the path, then the client's key.</summary>
public sealed record IdempotencyKey(string User, string Method, string Path, string Key);

/// <summary>A replayable response: status, content type, <c>Location</c> and body.</summary>
public sealed record StoredResponse(int StatusCode, string? ContentType, string? Location, byte[] Body);

/// <summary>How a claim ended.</summary>
public enum IdempotencyClaimStatus
{
    /// <summary>The caller holds the key: run the request, then complete or release it.</summary>
    Claimed,

    /// <summary>The first request finished: <see cref="IdempotencyClaim.Response"/> is its result.</summary>
    Completed,

    /// <summary>Another request with this key runs now (its claim has not run out).</summary>
    Pending,

    /// <summary>The key was used for a request with a different body, query or method.</summary>
    Mismatch,
}

/// <summary>The outcome of <see cref="IIdempotencyStore.ClaimIdempotencyKeyAsync"/>.</summary>
public sealed record IdempotencyClaim(IdempotencyClaimStatus Status, StoredResponse? Response = null);
