using Patronus.Engine.Bfd;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>The loop's rest between passes (BfdService.PassRest): the wake-ups a busy box is spared.</summary>
public sealed class BfdLoopPacingTests
{
    [Theory]
    [InlineData(0, false, 1000)] // a pass for one packet: rest the rest of the millisecond
    [InlineData(150, false, 850)]
    [InlineData(999, false, 1)]
    [InlineData(1000, false, 0)] // a pass as long as the spacing: go on at once
    [InlineData(5000, false, 0)]
    [InlineData(0, true, 0)] // a full batch was read: a backlog or a flood, read on at full speed
    [InlineData(-20, false, 1000)] // a clock read out of order never rests longer than the spacing
    public void PassRest_SpacesPassesOneMillisecondApartUnlessBacklogged(int elapsedUs, bool backlog, int restUs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1), BfdService.PassSpacing);
        Assert.Equal(TimeSpan.FromMicroseconds(restUs), BfdService.PassRest(TimeSpan.FromMicroseconds(elapsedUs), backlog));
    }

    [Fact]
    public void PassSpacing_IsTheJittersSlack()
    {
        // A deadline waits at most one spacing for its pass; the jitter leaves exactly that much room.
        Assert.Equal(BfdService.PassSpacing, TimeSpan.FromMicroseconds(BfdTiming.TransmitSlack));
        Assert.True(BfdTiming.Jitter(50_000, 3, new Random(1)) <= 50_000 - BfdTiming.TransmitSlack);
    }
}
