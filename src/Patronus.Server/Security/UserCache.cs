using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// User records read to validate access tokens (token version, disabled), each reused for
/// <see cref="AuthOptions.UserCacheDuration"/> so a request costs no store round trip. Changes made
/// through this instance invalidate the entry at once.
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

    public async ValueTask<UserRecord?> GetAsync(string username, CancellationToken cancellationToken)
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

    public void Invalidate(string username) => _entries.TryRemove(username, out _);
}
