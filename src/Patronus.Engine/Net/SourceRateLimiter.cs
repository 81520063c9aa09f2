namespace Patronus.Engine.Net;

/// <summary>
/// A token bucket per source address (<see cref="NativeSocketAddress"/> key): each source may
/// send <see cref="Burst"/> datagrams at once and <see cref="RatePerSecond"/> on average. The
/// buckets live in a fixed table of <see cref="Buckets"/> slots indexed by a per-process
/// randomized hash of the address, so a flood of spoofed sources cannot grow memory: sources
/// whose hashes collide share a bucket (a stricter limit for both, never a looser one), and the
/// randomized hash keeps an attacker from choosing addresses that collide with a victim's.
/// Time is the monotonic clock of the <see cref="TimeProvider"/> passed in (timestamps), so a
/// wall-clock step neither refills nor empties a bucket. Not thread-safe: one receive loop owns it.
/// </summary>
internal sealed class SourceRateLimiter
{
    /// <summary>Slots in the table: 4,096 × 16 octets = 64 KiB, allocated once.</summary>
    public const int Buckets = 4096;

    private readonly Bucket[] _buckets = new Bucket[Buckets];
    private readonly double _tokensPerTimestamp;

    /// <param name="ratePerSecond">Average datagrams per second per source (&gt; 0).</param>
    /// <param name="burst">Datagrams a source may send at once, the bucket's size (≥ 1).</param>
    /// <param name="timestampFrequency">The clock's <see cref="TimeProvider.TimestampFrequency"/>.</param>
    public SourceRateLimiter(double ratePerSecond, int burst, long timestampFrequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampFrequency);
        RatePerSecond = ratePerSecond;
        Burst = burst;
        _tokensPerTimestamp = ratePerSecond / timestampFrequency;
    }

    public double RatePerSecond { get; }

    public int Burst { get; }

    /// <summary>Takes one token from <paramref name="source"/>'s bucket at monotonic time <paramref name="now"/>; false when it is empty.</summary>
    public bool TryTake(UInt128 source, long now)
    {
        ref var bucket = ref _buckets[source.GetHashCode() & (Buckets - 1)];

        // The bucket holds what was spent, so a slot never used (all zero) is full. A timestamp
        // earlier than the last one (another clock's, in a test) refills nothing.
        var spent = Math.Max(0, bucket.Spent - (Math.Max(0, now - bucket.Last) * _tokensPerTimestamp));
        bucket.Last = Math.Max(bucket.Last, now);
        if (spent + 1 > Burst)
        {
            bucket.Spent = spent;
            return false;
        }

        bucket.Spent = spent + 1;
        return true;
    }

    private struct Bucket
    {
        public long Last;
        public double Spent;
    }
}
