using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// Whether an access token still stands for its user (<see cref="IsCurrentAsync(string?, string?, CancellationToken)"/>),
/// from user records each reused for <see cref="AuthOptions.UserCacheDuration"/> so a request costs
/// no store round trip. Changes made through this instance invalidate the entry at once.
/// </summary>
public sealed class UserCache
{
    /// <summary>Entries kept at most; users are few, this only bounds a flood of tokens for unknown names.</summary>
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (UserRecord? User, long FetchedAt)> _entries = new(StringComparer.Ordinal);
    private readonly IUserStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;

    public UserCache(IUserStore store, TimeProvider time, IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _time = time;
        _duration = options.Value.UserCacheDuration;
    }

    private async ValueTask<UserRecord?> GetAsync(string username, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        if (_entries.TryGetValue(username, out var entry) && _time.GetElapsedTime(entry.FetchedAt, now) < _duration)
        {
            return entry.User;
        }

        var user = await _store.GetUserAsync(username, cancellationToken).ConfigureAwait(false);
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[username] = (user, now);
        return user;
    }

    /// <summary>
    /// Whether a token naming <paramref name="username"/> at token version <paramref name="version"/>
    /// still stands: the user exists, is not disabled, and its token version is still that one (a
    /// password, role or disabled change bumps it). The one check behind every request's token and
    /// every open GraphQL WebSocket; false when either claim is missing.
    /// </summary>
    public async ValueTask<bool> IsCurrentAsync(string? username, string? version, CancellationToken cancellationToken)
    {
        if (username is null || version is null)
        {
            return false;
        }

        var user = await GetAsync(username, cancellationToken).ConfigureAwait(false);
        return user is { Disabled: false } && user.TokenVersion.ToString(CultureInfo.InvariantCulture) == version;
    }

    /// <summary><see cref="IsCurrentAsync(string?, string?, CancellationToken)"/> for the user and version an access token's claims name.</summary>
    public ValueTask<bool> IsCurrentAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return IsCurrentAsync(principal.FindFirst(PatronusClaims.Subject)?.Value, principal.FindFirst(PatronusClaims.Version)?.Value, cancellationToken);
    }

    public void Invalidate(string username) => _entries.TryRemove(username, out _);
}
