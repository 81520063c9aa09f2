using Patronus.Engine.Failover;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// The wall clock steps (NTP, an operator) while monotonic time runs on: the failback delay, the
/// dampening window and the hold run on monotonic time, so a step neither switches traffic early
/// nor holds it on a backup for the size of the step.
/// </summary>
public sealed partial class FailoverServiceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task WallClockStep_FailbackPending_FailsBackAfterTheDelayOfElapsedTime(int hours)
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        h.Score("p1", 10);
        h.Score("p2", 100);
        Assert.Equal(FailoverEventType.FailoverTriggered, Assert.Single(h.Evaluate()).Type);
        h.Score("p1", 100);
        h.Evaluate(); // p1 failback-healthy from now: failback due in 60 s
        h.Advance(TimeSpan.FromSeconds(10));
        h.Evaluate();

        h.Clock.StepWallClock(TimeSpan.FromHours(hours));
        Assert.Empty(h.Evaluate());
        h.Advance(TimeSpan.FromSeconds(49));
        Assert.Empty(h.Evaluate());
        Assert.Equal("p2", h.Status.ActivePathId);

        h.Advance(TimeSpan.FromSeconds(1));
        var failback = Assert.Single(h.Evaluate());

        Assert.Equal(FailoverEventType.FailbackCompleted, failback.Type);
        Assert.Equal("p1", h.Status.ActivePathId);
        // Stamped with the wall clock as it reads now.
        Assert.Equal(h.Clock.GetUtcNow(), failback.Timestamp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task WallClockStep_FlapHeld_HoldEndsAfterItsElapsedTime(int hours)
    {
        // Dampening: at most 3 switches in 300 s, then failbacks are held for 600 s; failback delay 10 s.
        await using var h = await FailoverServiceHarness.StartAsync(failbackDelay: TimeSpan.FromSeconds(10));
        h.Score("p2", 100);
        for (var i = 0; i < 2; i++)
        {
            h.Score("p1", 10);
            h.Evaluate();
            h.Score("p1", 100);
            h.Evaluate();
            h.Advance(TimeSpan.FromSeconds(10));
            h.Evaluate();
        }

        Assert.Equal(["FailoverTriggered", "FailbackCompleted", "FailoverTriggered", "FlapDampened"], h.Events.Select(e => e.Type.ToString()));
        Assert.Equal("p2", h.Status.ActivePathId);

        h.Clock.StepWallClock(TimeSpan.FromHours(hours));
        h.Advance(TimeSpan.FromSeconds(599));
        Assert.Empty(h.Evaluate());
        Assert.Equal("p2", h.Status.ActivePathId);

        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(FailoverEventType.FailbackCompleted, Assert.Single(h.Evaluate()).Type);
    }
}
