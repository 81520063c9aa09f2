using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class RttEstimatorTests
{
    [Theory]
    [InlineData(1_000u, 30_000u, 0u, 29.0)]
    [InlineData(1_000u, 30_000u, 9_000u, 20.0)] // the peer's hold is not path time
    [InlineData(4_294_960_000u, 12_704u, 500u, 19.5)] // our clock wrapped in between
    public void OnEcho_Sample_IsNowMinusEchoMinusHold(uint echoed, uint now, uint hold, double expectedMs)
    {
        var rtt = new RttEstimator();

        Assert.True(rtt.OnEcho(echoed, hold, now));

        Assert.Equal(expectedMs, rtt.LatestMs!.Value, 6);
        Assert.Equal(expectedMs, rtt.SmoothedMs!.Value, 6);
    }

    [Theory]
    [InlineData(10_000u, 5_000u, 0u)] // echo from the future: the hold exceeds the elapsed time
    [InlineData(0u, 20_000u, 30_000u)]
    [InlineData(0u, 61_000_000u, 0u)] // older than a minute
    public void OnEcho_ImpossibleSample_Ignored(uint echoed, uint now, uint hold)
    {
        var rtt = new RttEstimator();

        Assert.False(rtt.OnEcho(echoed, hold, now));

        Assert.Null(rtt.SmoothedMs);
        Assert.Equal(1, rtt.Rejected);
    }

    [Fact]
    public void OnEcho_Samples_SmoothLikeRfc6298()
    {
        var rtt = new RttEstimator();
        rtt.OnEcho(0, 0, 80_000);
        rtt.OnEcho(0, 0, 160_000);

        Assert.Equal(90.0, rtt.SmoothedMs!.Value, 6); // 80 + (160 − 80) / 8
        Assert.Equal(160.0, rtt.LatestMs);
        Assert.Equal(2, rtt.Samples);
    }
}

public class EchoBookTests
{
    [Fact]
    public void TryTake_RecordedTimestamp_EchoedOnceWithHold()
    {
        var time = new FakeTimeProvider();
        var book = new EchoBook(time);
        book.Record(2, 777, time.GetTimestamp());
        time.Advance(TimeSpan.FromMilliseconds(3));

        Assert.True(book.TryTake(time.GetTimestamp(), out var echo));
        Assert.Equal(new PendingEcho(2, 777, 3_000), echo);
        Assert.False(book.TryTake(time.GetTimestamp(), out _));
    }

    [Fact]
    public void TryTake_SeveralPaths_TakeTurnsAndKeepOnlyTheLatestPerPath()
    {
        var time = new FakeTimeProvider();
        var book = new EchoBook(time);
        var now = time.GetTimestamp();
        book.Record(1, 10, now);
        book.Record(1, 11, now);
        book.Record(5, 50, now);

        Assert.True(book.TryTake(now, out var first));
        book.Record(1, 12, now);
        Assert.True(book.TryTake(now, out var second));
        Assert.True(book.TryTake(now, out var third));
        Assert.False(book.TryTake(now, out _));

        Assert.Equal([(1, 11u), (5, 50u), (1, 12u)], new[] { first, second, third }.Select(e => ((int)e.PathId, e.TimestampUs)));
    }

    [Fact]
    public void RoundTrip_ThroughBookAndEstimator_MeasuresPathTime()
    {
        // A sends at its clock's t, the message takes 15 ms to B; B holds it 5 ms and echoes in
        // its next message, which takes 15 ms back: A measures 30 ms.
        var a = new FakeTimeProvider();
        var b = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(3)); // unrelated clocks
        var bookAtB = new EchoBook(b);
        var rttAtA = new RttEstimator();
        var sent = MicrosecondClock.Now(a);
        a.Advance(TimeSpan.FromMilliseconds(15));
        b.Advance(TimeSpan.FromMilliseconds(15));
        bookAtB.Record(0, sent, b.GetTimestamp());
        b.Advance(TimeSpan.FromMilliseconds(5));
        a.Advance(TimeSpan.FromMilliseconds(5));
        Assert.True(bookAtB.TryTake(b.GetTimestamp(), out var echo));
        a.Advance(TimeSpan.FromMilliseconds(15));

        Assert.True(rttAtA.OnEcho(echo.TimestampUs, echo.HoldUs, MicrosecondClock.Now(a)));

        Assert.Equal(30.0, rttAtA.LatestMs!.Value, 6);
    }
}

public class MicrosecondClockTests
{
    [Theory]
    [InlineData(1_000_000_000L, 1_000_000_000L, 1_000_000u)] // 1 s at 1 GHz
    [InlineData(10_000_000L, 10_000_000L, 1_000_000u)] // 1 s at 10 MHz (FakeTimeProvider, .NET ticks)
    [InlineData(15_000_000L, 10_000_000L, 1_500_000u)]
    [InlineData(4_294_967_296_000_000L, 1_000_000_000L, 0u)] // 2^32 µs: wraps to 0
    [InlineData(long.MaxValue, 1_000_000_000L, 2_783_138_807u)] // no overflow at the clock's end
    public void From_Timestamp_GivesMicrosecondsModulo2To32(long timestamp, long frequency, uint expected) =>
        Assert.Equal(expected, MicrosecondClock.From(timestamp, frequency));
}
