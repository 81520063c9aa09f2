using Microsoft.AspNetCore.Identity;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>Outcome of a user-account operation; <see cref="Message"/> names what was wrong.</summary>
public readonly record struct AccountResult(AccountStatus Status, string? Message = null)
{
    public static AccountResult Ok { get; } = new(AccountStatus.Ok);

    public bool Succeeded => Status == AccountStatus.Ok;
}

/// <summary>Account operation statuses.</summary>
public enum AccountStatus
{
    Ok,

    /// <summary>A username, role or password breaks a rule.</summary>
    Invalid,
    NotFound,
    Conflict,
}

/// <summary>
/// User accounts over the store, shared by the CLI and the API: the password policy, PBKDF2
/// hashing (ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>, format v3: HMAC-SHA512,
/// 100,000 iterations, 128-bit salt) and verification.
/// </summary>
public sealed class UserAccounts
{
    private static readonly PasswordHasher<string> s_hasher = new();

    // Verified when the user does not exist, so a login for an unknown name costs the same time as
    // one with a wrong password and does not reveal which names exist.
    private static readonly Lazy<string> s_dummyHash = new(() => s_hasher.HashPassword("", "not a real password, only for timing"));

    private readonly IUserStore _store;
    private readonly TimeProvider _time;

    public UserAccounts(IUserStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    public Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken) => _store.ListUsersAsync(cancellationToken);

    public async Task<AccountResult> AddAsync(string username, UserRole role, string password, CancellationToken cancellationToken)
    {
        if (PasswordPolicy.CheckUsername(username) is { } nameError)
        {
            return new(AccountStatus.Invalid, nameError);
        }

        if (PasswordPolicy.Check(username, password) is { Count: > 0 } problems)
        {
            return new(AccountStatus.Invalid, string.Join("; ", problems));
        }

        var now = _time.GetUtcNow();
        var result = await _store.InsertUserAsync(new UserRecord(username, role, s_hasher.HashPassword(username, password), false, 1, now, now),
            cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? AccountResult.Ok : new(AccountStatus.Conflict, result.Message);
    }

    /// <summary>
    /// Changes role, disabled flag and/or password (null: unchanged); every change ends all the
    /// user's sessions. Refuses to leave no enabled admin.
    /// </summary>
    public async Task<AccountResult> UpdateAsync(string username, UserRole? role, bool? disabled, string? password, CancellationToken cancellationToken)
    {
        if (role is null && disabled is null && password is null)
        {
            return new(AccountStatus.Invalid, "nothing to change: give a role, disabled or password");
        }

        var user = await _store.GetUserAsync(username, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return new(AccountStatus.NotFound, $"user '{username}' does not exist");
        }

        if (password is not null && PasswordPolicy.Check(username, password) is { Count: > 0 } problems)
        {
            return new(AccountStatus.Invalid, string.Join("; ", problems));
        }

        var losesAdmin = user is { Role: UserRole.Admin, Disabled: false } && ((role is { } r && r != UserRole.Admin) || disabled == true);
        if (losesAdmin)
        {
            var admins = (await _store.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Count(u => u is { Role: UserRole.Admin, Disabled: false });
            if (admins <= 1)
            {
                return new(AccountStatus.Conflict, $"'{username}' is the last enabled admin; create or enable another admin first");
            }
        }

        var hash = password is null ? null : s_hasher.HashPassword(username, password);
        var result = await _store.UpdateUserAsync(username, new UserChange(role, disabled, hash), cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? AccountResult.Ok : new(AccountStatus.NotFound, result.Message);
    }

    /// <summary>The user when the name exists, is enabled and the password matches; null otherwise (always after a full hash computation).</summary>
    public async Task<UserRecord?> VerifyAsync(string username, string password, CancellationToken cancellationToken)
    {
        var user = PasswordPolicy.CheckUsername(username) is null ? await _store.GetUserAsync(username, cancellationToken).ConfigureAwait(false) : null;
        if (password.Length > PasswordPolicy.MaxLength)
        {
            return null;
        }

        var verified = s_hasher.VerifyHashedPassword(username, user?.PasswordHash ?? s_dummyHash.Value, password) != PasswordVerificationResult.Failed;
        return verified && user is { Disabled: false } ? user : null;
    }
}
