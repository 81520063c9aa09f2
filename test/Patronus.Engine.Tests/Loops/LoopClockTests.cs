using Patronus.Engine.Loops;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Loops;

public sealed class LoopClockTests
{
    [Fact]
    public void Now_WallClockStepped_ElapsedRunsOnAndTimersDoNotFire()
    {
        var time = new SteppableTimeProvider();
        var clock = new LoopClock(time);
        time.Advance(TimeSpan.FromSeconds(10));
        var delay = Task.Delay(TimeSpan.FromSeconds(1), time);

        time.StepWallClock(TimeSpan.FromHours(-1));
        var now = clock.Now;

        Assert.Equal(TimeSpan.FromSeconds(10), now.Elapsed);
        Assert.Equal(SteppableTimeProvider.DefaultStart + TimeSpan.FromSeconds(10) - TimeSpan.FromHours(1), now.Wall);
        Assert.False(delay.IsCompleted);
        time.StepWallClock(TimeSpan.FromHours(2));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(delay.IsCompleted);
        Assert.Equal(TimeSpan.FromSeconds(11), clock.Elapsed);
    }

    [Theory]
    [InlineData(5, 0)]     // now
    [InlineData(2, -3)]    // three seconds ago
    [InlineData(65, 60)]   // in a minute
    public void WallOf_AnotherInstant_OnTheWallClockAsItReadsNow(double elapsed, double expectedOffset)
    {
        var wall = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var now = new LoopTime(TimeSpan.FromSeconds(5), wall);

        Assert.Equal(wall + TimeSpan.FromSeconds(expectedOffset), now.WallOf(TimeSpan.FromSeconds(elapsed)));
        Assert.Null(now.WallOf((TimeSpan?)null));
    }

    [Fact]
    public void WallOfAndAdd_ExtremeValues_ClampInsteadOfThrowing()
    {
        var now = new LoopTime(TimeSpan.FromSeconds(5), new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(DateTimeOffset.MaxValue, now.WallOf(TimeSpan.MaxValue));
        Assert.Equal(DateTimeOffset.MinValue, now.WallOf(TimeSpan.MinValue));
        Assert.Equal(TimeSpan.MaxValue, LoopTime.Add(TimeSpan.FromSeconds(1), TimeSpan.MaxValue));
        Assert.Equal(TimeSpan.MinValue, LoopTime.Add(TimeSpan.FromSeconds(-1), TimeSpan.MinValue));
        Assert.Equal(TimeSpan.MaxValue, LoopTime.Between(TimeSpan.MinValue, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(3), LoopTime.Between(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)));
    }
}
