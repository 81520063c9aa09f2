using Patronus.Engine.Storage;

namespace Patronus.Persistence.Security;

/// <summary>
/// Where the server keeps its user accounts and their refresh tokens: the storage port of the
/// server's authentication (users are a server concern — the engine never sees them). It lives here,
/// beside its SQL, because the server references Patronus.Persistence and not the other way round.
/// </summary>
public interface IUserStore
{
    /// <summary>Every user, by name.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>One user by exact name; null when there is none.</summary>
    Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Inserts a user. Conflict when the name is taken.</summary>
    Task<StoreResult> InsertUserAsync(UserRecord user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes a user's role, disabled flag and/or password hash (null: unchanged). Any change bumps
    /// the user's token version and revokes every refresh token of the user in the same transaction,
    /// so every session of that user ends. NotFound when there is no such user.
    /// </summary>
    Task<StoreResult> UpdateUserAsync(string username, UserChange change, CancellationToken cancellationToken = default);

    /// <summary>Stores a new refresh token (by hash). MissingReference when the user does not exist.</summary>
    Task<StoreResult> InsertRefreshTokenAsync(RefreshTokenRecord token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Consumes the refresh token with hash <paramref name="tokenHash"/> and stores
    /// <paramref name="replacement"/> in its family, atomically: of two concurrent rotations of the
    /// same token exactly one wins. A token that was already consumed is a reuse — a stolen token
    /// or a replayed request — and revokes its whole family.
    /// </summary>
    Task<RefreshRotation> RotateRefreshTokenAsync(string tokenHash, RefreshTokenRecord replacement, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes the family of the refresh token with this hash (logout). With <paramref name="username"/>,
    /// only a token of that user: someone else's token is treated as unknown. False when no such token exists.
    /// </summary>
    Task<bool> RevokeRefreshFamilyAsync(string tokenHash, string? username = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes refresh tokens that expired before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteExpiredRefreshTokensAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}

/// <summary>User roles, each including the rights of the ones below it: admin &gt; operator &gt; viewer.</summary>
public enum UserRole
{
    Viewer,
    Operator,
    Admin,
}

/// <summary>The roles' names, as the store, tokens, the REST API and the CLI spell them: <c>admin</c>, <c>operator</c>, <c>viewer</c>.</summary>
public static class UserRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>The role's name.</summary>
    public static string Name(UserRole role) => role switch
    {
        UserRole.Admin => Admin,
        UserRole.Operator => Operator,
        _ => Viewer,
    };

    /// <summary>A role from its name, in any case; false (and viewer) for anything else, numbers included.</summary>
    public static bool TryParse(string? text, out UserRole role)
    {
        switch (text?.ToLowerInvariant())
        {
            case Admin: role = UserRole.Admin; return true;
            case Operator: role = UserRole.Operator; return true;
            case Viewer: role = UserRole.Viewer; return true;
            default: role = UserRole.Viewer; return false;
        }
    }
}

/// <summary>A stored user. <see cref="TokenVersion"/> changes whenever the user's sessions must end.</summary>
public sealed record UserRecord(string Username, UserRole Role, string PasswordHash, bool Disabled, long TokenVersion,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Fields of a user to change; null leaves a field as it is.</summary>
public sealed record UserChange(UserRole? Role = null, bool? Disabled = null, string? PasswordHash = null)
{
    public bool IsEmpty => Role is null && Disabled is null && PasswordHash is null;
}

/// <summary>A refresh token as stored: only its SHA-256 hash, never the token.</summary>
public sealed record RefreshTokenRecord(string TokenHash, string FamilyId, string Username, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>Outcome of a refresh token rotation.</summary>
public enum RefreshRotationStatus
{
    /// <summary>Consumed; the replacement is stored.</summary>
    Rotated,

    /// <summary>No such token.</summary>
    NotFound,

    /// <summary>Past its expiry.</summary>
    Expired,

    /// <summary>Revoked (logout, password/role change, disable, or an earlier reuse).</summary>
    Revoked,

    /// <summary>Already consumed: the whole family has now been revoked.</summary>
    Reused,
}

/// <summary>A rotation's outcome and the user the token belongs to (when it exists).</summary>
public readonly record struct RefreshRotation(RefreshRotationStatus Status, string? Username = null);

