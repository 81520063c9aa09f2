using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Patronus.Server.Security;

/// <summary>
/// Login throttling that slows password guessing without letting anyone lock a user out. Three
/// counts of failed logins, each forgotten after <see cref="AuthOptions.LoginFailureWindow"/>
/// without a new failure:
/// <list type="number">
/// <item>per client address and username: <see cref="AuthOptions.LoginFailuresPerUser"/> are free,
/// then that address may not try that user for <see cref="AuthOptions.LoginBackoff"/>, doubling
/// with each further failure up to <see cref="AuthOptions.LoginBackoffMax"/> (1 s, 2 s … 5 min). A
/// success from the address clears it.</item>
/// <item>per client address: <see cref="AuthOptions.LoginFailuresPerAddress"/> free, then the same
/// backoff for every username from it (a guesser trying many users). A success does not clear it.</item>
/// <item>per username from all addresses: once <see cref="AuthOptions.LoginUserGuessBudget"/>
/// failures are spent the user is under attack, and an address that has failed for the user since
/// its last success waits the user's backoff (the same doubling, counted past the budget) — but an
/// address without such a failure is always let through to have its password checked. The real
/// user, from an address the attacker does not hold, is never refused; a distributed guesser gets
/// one guess per address and then the growing wait.</item>
/// </list>
/// A refused login gets 429 without its password being checked. Addresses are keyed as
/// <see cref="ClientAddress.Key"/> does (an IPv6 client by its /64). Waits run on the monotonic
/// clock. State is in memory, per instance.
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
    public TimeSpan? RetryAfter(string username, IPAddress? address)
    {
        var now = _time.GetTimestamp();
        var (user, client) = (UserKey(username), ClientAddress.Key(address));
        var wait = Max(Blocked(PairKey(client, user), now), Blocked(AddressKey(client), now));
        if (Failures(PairKey(client, user)) > 0 && Failures(user) >= _options.LoginUserGuessBudget)
        {
            wait = Max(wait, Blocked(user, now));
        }

        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string username, IPAddress? address)
    {
        var now = _time.GetTimestamp();
        var (user, client) = (UserKey(username), ClientAddress.Key(address));
        Fail(PairKey(client, user), _options.LoginFailuresPerUser, now);
        Fail(AddressKey(client), _options.LoginFailuresPerAddress, now);
        Fail(user, _options.LoginUserGuessBudget, now);
        if (_entries.Count > PruneAbove)
        {
            Prune(now);
        }
    }

    /// <summary>The address proved it knows the password: its failures for this user are forgotten (the address's and the user's totals stay).</summary>
    public void Succeeded(string username, IPAddress? address) =>
        _entries.TryRemove(PairKey(ClientAddress.Key(address), UserKey(username)), out _);

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

    private void Fail(string key, int free, long now)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        lock (entry)
        {
            if (entry.Failures > 0 && _time.GetElapsedTime(entry.LastFailure, now) > _options.LoginFailureWindow)
            {
                entry.Failures = 0;
            }

            entry.Failures++;
            entry.LastFailure = now;
            entry.Backoff = Backoff(entry.Failures, free, _options.LoginBackoff, _options.LoginBackoffMax);
        }
    }

    private int Failures(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return 0;
        }

        lock (entry)
        {
            return _time.GetElapsedTime(entry.LastFailure) > _options.LoginFailureWindow ? 0 : entry.Failures;
        }
    }

    private TimeSpan Blocked(string key, long now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return TimeSpan.Zero;
        }

        lock (entry)
        {
            return entry.Backoff - _time.GetElapsedTime(entry.LastFailure, now);
        }
    }

    private void Prune(long now)
    {
        foreach (var (key, entry) in _entries)
        {
            bool stale;
            lock (entry)
            {
                var since = _time.GetElapsedTime(entry.LastFailure, now);
                stale = since >= entry.Backoff && since > _options.LoginFailureWindow;
            }

            if (stale)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Case-insensitive; no more of a name is kept than the longest username plus one character (a longer name cannot exist).</summary>
    private static string UserKey(string username) =>
        "u:" + (username.Length > PasswordPolicy.MaxUsernameLength ? username[..(PasswordPolicy.MaxUsernameLength + 1)] : username).ToLowerInvariant();

    private static string AddressKey(string client) => "a:" + client;

    private static string PairKey(string client, string userKey) => "p:" + client + "|" + userKey;

    private sealed class Entry
    {
        public int Failures { get; set; }

        public long LastFailure { get; set; }

        public TimeSpan Backoff { get; set; }
    }
}

/// <summary>How a client address is keyed for throttling and audit summaries.</summary>
public static class ClientAddress
{
    /// <summary>
    /// The address as text (an IPv4-mapped IPv6 address as IPv4); an IPv6 address by its /64, the
    /// block one host usually holds, so rotating addresses within it gains nothing; <c>unknown</c>
    /// without one.
    /// </summary>
    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
