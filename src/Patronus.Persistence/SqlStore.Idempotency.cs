using System.Data.Common;
using Dapper;
using Patronus.Persistence.Idempotency;

namespace Patronus.Persistence;

/// <summary>
/// The REST API's idempotency keys (<see cref="IIdempotencyStore"/>, migration 11, docs/ha.md): a
/// claim is one upsert, so two nodes racing on one key get one winner from the primary key; the
/// loser reads the row and waits, replays or refuses.
/// </summary>
public abstract partial class SqlStore : IIdempotencyStore
{
    private const string KeyWhere = "user_name = @User AND method = @Method AND path = @Path AND idem_key = @Key";

    public async Task<IdempotencyClaim> ClaimIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, DateTimeOffset claimUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var args = new
        {
            key.User,
            key.Method,
            key.Path,
            key.Key,
            Fingerprint = fingerprint,
            ClaimUntil = claimUntil.ToUnixTimeMilliseconds(),
            ExpiresAt = expiresAt.ToUnixTimeMilliseconds(),
            Now = NowMs,
        };

        // A new key is inserted pending. An existing row is overwritten only when it has expired
        // (not purged yet) or is a pending claim of the same request whose claimant ran out of time
        // (died mid-request): then this request runs it. Anything else is left as it is.
        var claimed = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO idempotency_keys (user_name, method, path, idem_key, fingerprint, status, content_type, location, body, claimed_until, expires_at)
            VALUES (@User, @Method, @Path, @Key, @Fingerprint, NULL, NULL, NULL, NULL, @ClaimUntil, @ExpiresAt)
            ON CONFLICT (user_name, method, path, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, content_type = NULL,
                location = NULL, body = NULL, claimed_until = excluded.claimed_until, expires_at = excluded.expires_at
            WHERE idempotency_keys.expires_at <= @Now
                OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_until <= @Now AND idempotency_keys.fingerprint = excluded.fingerprint)
            RETURNING 1
            """, args, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (claimed is not null)
        {
            return new IdempotencyClaim(IdempotencyClaimStatus.Claimed);
        }

        var row = await connection.QuerySingleOrDefaultAsync<(string Fingerprint, long? Status, string? ContentType, string? Location, byte[]? Body)>(
            new CommandDefinition($"SELECT fingerprint, status, content_type, location, body FROM idempotency_keys WHERE {KeyWhere}", args,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row.Fingerprint is null)
        {
            // Purged between the two statements: as good as pending, the caller asks again.
            return new IdempotencyClaim(IdempotencyClaimStatus.Pending);
        }

        if (!string.Equals(row.Fingerprint, fingerprint, StringComparison.Ordinal))
        {
            return new IdempotencyClaim(IdempotencyClaimStatus.Mismatch);
        }

        return row.Status is { } status
            ? new IdempotencyClaim(IdempotencyClaimStatus.Completed, new StoredResponse((int)status, row.ContentType, row.Location, row.Body ?? []))
            : new IdempotencyClaim(IdempotencyClaimStatus.Pending);
    }

    public async Task<bool> CompleteIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, StoredResponse response, DateTimeOffset expiresAt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(response);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(CompleteSql, CompleteArgs(key, fingerprint, response, expiresAt),
            cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    private const string CompleteSql = $"""
        UPDATE idempotency_keys SET status = @Status, content_type = @ContentType, location = @Location, body = @Body, expires_at = @ExpiresAt
        WHERE {KeyWhere} AND fingerprint = @Fingerprint AND status IS NULL
        """;

    private static object CompleteArgs(IdempotencyKey key, string fingerprint, StoredResponse response, DateTimeOffset expiresAt) => new
    {
        key.User,
        key.Method,
        key.Path,
        key.Key,
        Fingerprint = fingerprint,
        Status = response.StatusCode,
        response.ContentType,
        response.Location,
        response.Body,
        ExpiresAt = expiresAt.ToUnixTimeMilliseconds(),
    };

    public async Task ReleaseIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM idempotency_keys WHERE {KeyWhere} AND fingerprint = @Fingerprint AND status IS NULL",
            new { key.User, key.Method, key.Path, key.Key, Fingerprint = fingerprint }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits a REST write's transaction, and with it — when the write runs under a key
    /// (<see cref="IdempotentWrite.Current"/>) whose endpoint says how it answers — the answer made
    /// from <paramref name="written"/> (the item as stored; null for a delete), completing the claimed
    /// key in the same transaction: the write commits if and only if its answer is stored. A key no
    /// longer pending (taken over after its claim ran out, or already completed) is left as it is.
    /// </summary>
    private protected static async Task CommitWithAnswerAsync(DbConnection connection, DbTransaction transaction, object? written, CancellationToken cancellationToken)
    {
        var write = IdempotentWrite.Current;
        var answer = write?.Prepare(written);
        var kept = false;
        if (write is not null && answer is not null)
        {
            kept = await connection.ExecuteAsync(new CommandDefinition(CompleteSql, CompleteArgs(write.Key, write.Fingerprint, answer, write.ExpiresAt), transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (kept)
        {
            write!.Committed(answer!);
        }
    }

    public Task<long> DeleteIdempotencyKeysBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        DeleteBeforeAsync("idempotency_keys", "user_name, method, path, idem_key", "expires_at", cutoff, cancellationToken);
}
