using System.Data.Common;
using Dapper;
using Patronus.Engine.Storage;
using Patronus.Persistence.Security;

namespace Patronus.Persistence;

/// <summary>Users, refresh tokens, the audit log and secrets (<see cref="IUserStore"/>, <see cref="IAuditStore"/>, <see cref="ISecretStore"/>).</summary>
public abstract partial class SqlStore
{
    private const string UserColumns = "username, role, password_hash, disabled, token_version, created_at, updated_at";

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM sdwan_users ORDER BY username", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToUser()).ToList();
    }

    public async Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QueryFirstOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM sdwan_users WHERE username = @Username", new { Username = username },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToUser();
    }

    // A user write is one transaction that also keeps a keyed REST write's answer, made from the
    // row as stored (CommitWithAnswerAsync, docs/ha.md safe retries): a node that dies after the
    // commit leaves a key whose retry replays the 201/200 instead of answering 409 or running again.
    public async Task<StoreResult> InsertUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var row = await connection.QuerySingleAsync<UserRow>(new CommandDefinition($"""
                INSERT INTO sdwan_users (username, role, password_hash, disabled, token_version, created_at, updated_at)
                VALUES (@Username, @Role, @PasswordHash, @Disabled, @TokenVersion, @Now, @Now)
                RETURNING {UserColumns}
                """, new
            {
                user.Username,
                Role = UserRoles.Name(user.Role),
                user.PasswordHash,
                Disabled = user.Disabled ? 1 : 0,
                TokenVersion = Math.Max(1, user.TokenVersion),
                Now = NowMs,
            }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await CommitWithAnswerAsync(connection, tx, row.ToUser(), cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.Unique)
        {
            return new(StoreStatus.Conflict, $"a user named '{user.Username}' already exists");
        }
    }

    public async Task<StoreResult> UpdateUserAsync(string username, UserChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = NowMs;
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition($"""
            UPDATE sdwan_users SET
                role = COALESCE(@Role, role),
                disabled = COALESCE(@Disabled, disabled),
                password_hash = COALESCE(@PasswordHash, password_hash),
                token_version = token_version + 1,
                updated_at = @Now
            WHERE username = @Username
            RETURNING {UserColumns}
            """, new
        {
            Username = username,
            Role = change.Role is { } role ? UserRoles.Name(role) : null,
            Disabled = change.Disabled is { } disabled ? (int?)(disabled ? 1 : 0) : null,
            change.PasswordHash,
            Now = now,
        }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is null)
        {
            return new(StoreStatus.NotFound, $"user '{username}' does not exist");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sdwan_refresh_tokens SET revoked_at = @Now WHERE username = @Username AND revoked_at IS NULL",
            new { Username = username, Now = now }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await CommitWithAnswerAsync(connection, tx, row.ToUser(), cancellationToken).ConfigureAwait(false);
        return StoreResult.Ok;
    }

    public async Task<StoreResult> InsertRefreshTokenAsync(RefreshTokenRecord token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertRefreshSql, RefreshArgs(token), cancellationToken: cancellationToken)).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, $"user '{token.Username}' does not exist");
        }
    }

    public async Task<RefreshRotation> RotateRefreshTokenAsync(string tokenHash, RefreshTokenRecord replacement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = NowMs;

        // The conditional UPDATE is the arbiter: of two concurrent rotations only one sees
        // consumed_at IS NULL (PostgreSQL re-checks the row after the first commits; SQLite has one writer).
        var row = await connection.QueryFirstOrDefaultAsync<RefreshRow>(new CommandDefinition("""
            UPDATE sdwan_refresh_tokens SET consumed_at = @Now
            WHERE token_hash = @Hash AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > @Now
            RETURNING family_id, username, expires_at, consumed_at, revoked_at
            """, new { Hash = tokenHash, Now = now }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertRefreshSql,
                RefreshArgs(replacement with { FamilyId = row.Family_Id, Username = row.Username }), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new(RefreshRotationStatus.Rotated, row.Username);
        }

        var existing = await connection.QueryFirstOrDefaultAsync<RefreshRow>(new CommandDefinition(
            "SELECT family_id, username, expires_at, consumed_at, revoked_at FROM sdwan_refresh_tokens WHERE token_hash = @Hash",
            new { Hash = tokenHash }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is null)
        {
            return new(RefreshRotationStatus.NotFound);
        }

        if (existing.Revoked_At is not null)
        {
            return new(RefreshRotationStatus.Revoked, existing.Username);
        }

        if (existing.Consumed_At is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sdwan_refresh_tokens SET revoked_at = @Now WHERE family_id = @Family AND revoked_at IS NULL",
                new { Family = existing.Family_Id, Now = now }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new(RefreshRotationStatus.Reused, existing.Username);
        }

        return new(RefreshRotationStatus.Expired, existing.Username);
    }

    public async Task<bool> RevokeRefreshFamilyAsync(string tokenHash, string? username = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var family = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT family_id FROM sdwan_refresh_tokens WHERE token_hash = @Hash" + (username is null ? "" : " AND username = @Username"),
            new { Hash = tokenHash, Username = username }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (family is null)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sdwan_refresh_tokens SET revoked_at = @Now WHERE family_id = @Family AND revoked_at IS NULL",
            new { Family = family, Now = NowMs }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return true;
    }

    public async Task<int> DeleteExpiredRefreshTokensAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sdwan_refresh_tokens WHERE expires_at < @Before", new { Before = before.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task InsertAuditAsync(AuditRecord entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sdwan_audit_log (timestamp, username, action, target, client_address, result, status_code, detail)
            VALUES (@Timestamp, @Username, @Action, @Target, @ClientAddress, @Result, @StatusCode, @Detail)
            """, new
        {
            Timestamp = entry.Timestamp.ToUnixTimeMilliseconds(),
            entry.Username,
            entry.Action,
            entry.Target,
            entry.ClientAddress,
            entry.Result,
            entry.StatusCode,
            entry.Detail,
        }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditRecord>> GetAuditAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition("""
            SELECT audit_id, timestamp, username, action, target, client_address, result, status_code, detail
            FROM sdwan_audit_log WHERE timestamp >= @Since ORDER BY timestamp DESC, audit_id DESC LIMIT @Limit
            """, new { Since = since.ToUnixTimeMilliseconds(), Limit = limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public Task<long> DeleteAuditBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        DeleteBeforeAsync("sdwan_audit_log", "audit_id", "timestamp", cutoff, cancellationToken);

    public async Task<string> GetOrAddSecretAsync(string name, string candidate, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Insert-if-absent then read: the loser of a race inserts nothing and reads the winner's value.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sdwan_secrets (name, value, created_at) VALUES (@Name, @Value, @Now) ON CONFLICT (name) DO NOTHING",
            new { Name = name, Value = candidate, Now = NowMs }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT value FROM sdwan_secrets WHERE name = @Name", new { Name = name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private const string InsertRefreshSql = """
        INSERT INTO sdwan_refresh_tokens (token_hash, family_id, username, issued_at, expires_at)
        VALUES (@TokenHash, @FamilyId, @Username, @IssuedAt, @ExpiresAt)
        """;

    private static object RefreshArgs(RefreshTokenRecord t) => new
    {
        t.TokenHash,
        t.FamilyId,
        t.Username,
        IssuedAt = t.IssuedAt.ToUnixTimeMilliseconds(),
        ExpiresAt = t.ExpiresAt.ToUnixTimeMilliseconds(),
    };

    // Stored as the role's name; anything else reads as the least role.
    private static UserRole ParseRole(string text) => UserRoles.TryParse(text, out var role) ? role : UserRole.Viewer;

#pragma warning disable CA1812, IDE1006 // instantiated by Dapper
    private sealed class UserRow
    {
        public string Username { get; set; } = "";
        public string Role { get; set; } = "";
        public string Password_Hash { get; set; } = "";
        public long Disabled { get; set; }
        public long Token_Version { get; set; }
        public long Created_At { get; set; }
        public long Updated_At { get; set; }

        public UserRecord ToUser() => new(Username, ParseRole(Role), Password_Hash, Disabled != 0, Token_Version,
            DateTimeOffset.FromUnixTimeMilliseconds(Created_At), DateTimeOffset.FromUnixTimeMilliseconds(Updated_At));
    }

    private sealed class RefreshRow
    {
        public string Family_Id { get; set; } = "";
        public string Username { get; set; } = "";
        public long Expires_At { get; set; }
        public long? Consumed_At { get; set; }
        public long? Revoked_At { get; set; }
    }

    private sealed class AuditRow
    {
        public long Audit_Id { get; set; }
        public long Timestamp { get; set; }
        public string? Username { get; set; }
        public string Action { get; set; } = "";
        public string? Target { get; set; }
        public string? Client_Address { get; set; }
        public string Result { get; set; } = "";
        public long Status_Code { get; set; }
        public string? Detail { get; set; }

        public AuditRecord ToRecord() => new(DateTimeOffset.FromUnixTimeMilliseconds(Timestamp), Username, Action, Target, Client_Address,
            Result, (int)Status_Code, Detail, Audit_Id);
    }
#pragma warning restore CA1812, IDE1006
}
