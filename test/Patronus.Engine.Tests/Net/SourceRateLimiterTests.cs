using Patronus.Engine.Net;

namespace Patronus.Engine.Tests.Net;

public sealed class SourceRateLimiterTests
{
    private const long Frequency = TimeSpan.TicksPerSecond;
    private static readonly UInt128 s_a = (UInt128)0xffff << 32 | 0x7f000001;
    private static readonly UInt128 s_b = (UInt128)0xffff << 32 | 0x0af00001;

    [Fact]
    public void TryTake_BurstThenRate_RefillsAtTheRateUpToTheBurst()
    {
        var limiter = new SourceRateLimiter(ratePerSecond: 10, burst: 5, Frequency);
        var now = 1_000 * Frequency;

        Assert.Equal(5, Enumerable.Range(0, 8).Count(_ => limiter.TryTake(s_a, now)));

        // 100 ms at 10/s is one token; a second is ten, capped at the burst of five.
        Assert.True(limiter.TryTake(s_a, now + (Frequency / 10)));
        Assert.False(limiter.TryTake(s_a, now + (Frequency / 10)));
        Assert.Equal(5, Enumerable.Range(0, 8).Count(_ => limiter.TryTake(s_a, now + (2 * Frequency))));
    }

    [Fact]
    public void TryTake_OneSourceExhausted_AnotherStillServed()
    {
        var limiter = new SourceRateLimiter(ratePerSecond: 1, burst: 1, Frequency);

        Assert.True(limiter.TryTake(s_a, 0));
        Assert.False(limiter.TryTake(s_a, 0));

        // Unless the two hash to one slot (1 in 4,096 per process), b has its own bucket.
        var sameSlot = (s_a.GetHashCode() & (SourceRateLimiter.Buckets - 1)) == (s_b.GetHashCode() & (SourceRateLimiter.Buckets - 1));
        Assert.Equal(!sameSlot, limiter.TryTake(s_b, 0));
    }

    [Fact]
    public void TryTake_ClockGoesBackwards_RefillsNothing()
    {
        var limiter = new SourceRateLimiter(ratePerSecond: 1_000, burst: 1, Frequency);

        Assert.True(limiter.TryTake(s_a, 10 * Frequency));
        Assert.False(limiter.TryTake(s_a, 5 * Frequency));
        Assert.False(limiter.TryTake(s_a, 10 * Frequency));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    public void Constructor_NonPositiveRateOrBurst_Throws(double rate, int burst) =>
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new SourceRateLimiter(rate, burst, Frequency));
}
