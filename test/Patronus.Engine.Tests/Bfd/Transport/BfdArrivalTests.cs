using Patronus.Engine.Bfd.Transport;

namespace Patronus.Engine.Tests.Bfd.Transport;

public sealed class BfdArrivalTests
{
    private const long Frequency = 1_000_000_000; // ns timestamps: the table reads in ns
    private const long Real = 1_800_000_000_000_000_000;

    [Theory]
    // now, notBefore, realNow, kernel -> receivedAt
    [InlineData(10_000_000_000, 9_000_000_000, Real, Real - 120_000_000, 9_880_000_000)]   // read 120 ms late: arrival 120 ms back
    [InlineData(10_000_000_000, 9_000_000_000, Real, Real, 10_000_000_000)]                 // read at once
    [InlineData(10_000_000_000, 9_900_000_000, Real, Real - 5_000_000_000, 9_900_000_000)] // wall clock stepped forward: no earlier than the queue was last seen empty
    [InlineData(10_000_000_000, 9_000_000_000, Real, Real + 3_000_000_000, 10_000_000_000)] // wall clock stepped back: the read
    [InlineData(10_000_000_000, 9_000_000_000, Real, 0, 10_000_000_000)]                    // no kernel timestamp: the read
    [InlineData(10_000_000_000, 10_000_000_000, Real, Real - 50_000_000, 10_000_000_000)]   // seen empty just now: the read
    public void ReceivedAt_Table(long now, long notBefore, long realNow, long kernel, long expected) =>
        Assert.Equal(expected, BfdArrival.ReceivedAt(now, notBefore, realNow, kernel, Frequency));

    [Fact]
    public void ReceivedAt_StopwatchFrequency_ConvertsNanoseconds()
    {
        // 100 ticks per µs (TimeSpan-like frequency 10 MHz): 2 ms late = 20,000 ticks.
        Assert.Equal(1_000_000 - 20_000, BfdArrival.ReceivedAt(1_000_000, 0, Real, Real - 2_000_000, 10_000_000));
    }
}
