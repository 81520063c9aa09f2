using System.Collections.Concurrent;

namespace Patronus.Server.Security;

/// <summary>
/// Bounds how fast one user's refresh tokens can grow the store: every login and every refresh
/// stores a row that stays until it expires (7 days by default), so a client looping either would
/// otherwise grow the table without limit. Each user has a bucket of <see cref="Burst"/> issues
/// that refills at <see cref="PerMinute"/> a minute; an empty bucket refuses with 429 (a login
/// before anything is stored; a refresh after its rotation, by revoking the session it just
/// extended). A person — even with a few browser tabs and scripts, each refreshing every 15
/// minutes — never comes near it. At most 20 rows a minute per user: ~200,000 in 7 days, ~40 MB,
/// instead of unbounded. In memory, per instance.
/// </summary>
public sealed class TokenIssueBudget
{
    /// <summary>Issues a user may make at once.</summary>
    public const int Burst = 20;

    /// <summary>Issues a user regains per minute.</summary>
    public const int PerMinute = 20;

    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public TokenIssueBudget(TimeProvider time) => _time = time;

    /// <summary>Takes one issue from <paramref name="username"/>'s bucket; null when taken, else how long until one is free.</summary>
    public TimeSpan? TryTake(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        var now = _time.GetTimestamp();
        if (_buckets.Count > PruneAbove)
        {
            Prune(now);
        }

        var bucket = _buckets.GetOrAdd(username, _ => new Bucket(Burst, now));
        lock (bucket)
        {
            bucket.Refill(now, _time);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens--;
                return null;
            }

            return TimeSpan.FromMinutes((1 - bucket.Tokens) / PerMinute);
        }
    }

    private void Prune(long now)
    {
        foreach (var (name, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, _time);
                if (bucket.Tokens >= Burst)
                {
                    _buckets.TryRemove(name, out _);
                }
            }
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        private long _at = at;

        public double Tokens { get; set; } = tokens;

        public void Refill(long now, TimeProvider time)
        {
            Tokens = Math.Min(Burst, Tokens + (time.GetElapsedTime(_at, now).TotalMinutes * PerMinute));
            _at = now;
        }
    }
}
