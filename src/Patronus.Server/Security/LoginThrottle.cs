using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Patronus.Server.Security;

/// <summary>
/// Login rate limiting, per username and per client address. Each key may fail a few times freely
/// (<see cref="AuthOptions.LoginFailuresPerUser"/>, <see cref="AuthOptions.LoginFailuresPerAddress"/>);
/// the failure that uses up the allowance blocks the key for <see cref="AuthOptions.LoginBackoff"/>
/// and each further one doubles it, up to <see cref="AuthOptions.LoginBackoffMax"/> (1 s, 2 s, 4 s …
/// 5 min). A blocked key is refused without checking the password. A success clears the username's
/// count (not the address's: one valid account must not reset an address that is guessing others);
/// counts are forgotten after <see cref="AuthOptions.LoginFailureWindow"/> without a failure. State
/// is in memory, per instance.
/// </summary>
public sealed class LoginThrottle
{
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public LoginThrottle(IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
    }

    /// <summary>How long the caller must wait before trying again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string username, string address)
    {
        var now = _time.GetUtcNow();
        var wait = Max(Blocked(UserKey(username), now), Blocked(AddressKey(address), now));
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string username, string address)
    {
        var now = _time.GetUtcNow();
        Fail(UserKey(username), _options.LoginFailuresPerUser, now);
        Fail(AddressKey(address), _options.LoginFailuresPerAddress, now);
        if (_entries.Count > PruneAbove)
        {
            Prune(now);
        }
    }

    public void Succeeded(string username) => _entries.TryRemove(UserKey(username), out _);

    /// <summary>The backoff after the <paramref name="failures"/>-th failure with <paramref name="free"/> free ones (zero while free).</summary>
    public static TimeSpan Backoff(int failures, int free, TimeSpan first, TimeSpan max)
    {
        if (failures < free)
        {
            return TimeSpan.Zero;
        }

        var doublings = Math.Min(failures - free, 30);
        var ticks = Math.Min((double)first.Ticks * Math.Pow(2, doublings), max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private void Fail(string key, int free, DateTimeOffset now)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        lock (entry)
        {
            if (now - entry.LastFailure > _options.LoginFailureWindow)
            {
                entry.Failures = 0;
            }

            entry.Failures++;
            entry.LastFailure = now;
            entry.BlockedUntil = now + Backoff(entry.Failures, free, _options.LoginBackoff, _options.LoginBackoffMax);
        }
    }

    private TimeSpan Blocked(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return TimeSpan.Zero;
        }

        lock (entry)
        {
            return entry.BlockedUntil - now;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            bool stale;
            lock (entry)
            {
                stale = entry.BlockedUntil <= now && now - entry.LastFailure > _options.LoginFailureWindow;
            }

            if (stale)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string UserKey(string username) => "u:" + username.ToLowerInvariant();

    private static string AddressKey(string address) => "a:" + address;

    private sealed class Entry
    {
        public int Failures { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        public DateTimeOffset BlockedUntil { get; set; }
    }
}
