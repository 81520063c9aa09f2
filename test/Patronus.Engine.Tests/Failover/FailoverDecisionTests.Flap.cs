using static Patronus.Engine.Tests.Failover.FailoverDecisionTimeline;

namespace Patronus.Engine.Tests.Failover;

public sealed partial class FailoverDecisionTests
{
    [Theory]
    // 2 switches per 300 s: failover, failback, failover; the next failback would be the 4th → held
    // for 600 s (announced once); at the end of the hold the window has aged out and it fails back.
    [InlineData("damp=2/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 80 | 90 p1=10 | 100 p1=90 | 160 | 700 | 759.999 | 760",
        "10 Failover p1>b1 | 80 Failback b1>p1 | 90 Failover p1>b1 | 160 Dampened b1>p1 | 760 Failback b1>p1", "p1")]
    // The primary alternating every 10 s with no failback delay: at most 3 switches, then one
    // FlapDampened, silence while it keeps flapping, and one failback when the hold expires.
    [InlineData("delay=0 damp=3/300/600",
        "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90 | 50 p1=10 | 60 p1=90 | 70 p1=10 | 80 p1=90 | 639.999 | 640",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Dampened b1>p1 | 640 Failback b1>p1", "p1")]
    // Moving off a dead path is never held, even during a hold; it is still counted.
    [InlineData("delay=0 damp=1/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 b1=10 | 40 p1=10 b1=90 | 50 p1=90 | 619.999 | 620",
        "10 Failover p1>b1 | 20 Dampened b1>p1 | 30 Failover b1>p1 | 40 Failover p1>b1 | 620 Failback b1>p1", "p1")]
    // A hold shorter than the window: at its end the window still counts too many, so a new hold (announced again).
    [InlineData("delay=0 damp=1/100/60", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 50 | 80 | 110 | 140",
        "10 Failover p1>b1 | 20 Dampened b1>p1 | 80 Dampened b1>p1 | 140 Failback b1>p1", "p1")]
    // A switch exactly one window old still counts; a moment later it has aged out.
    [InlineData("delay=0 damp=1/100/1", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 110 | 110.5 | 111",
        "10 Failover p1>b1 | 20 Dampened b1>p1 | 110 Dampened b1>p1 | 111 Failback b1>p1", "p1")]
    // Without a hold time, or without a window, nothing is dampened.
    [InlineData("delay=0 damp=0/300/0", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Failback b1>p1", "p1")]
    [InlineData("delay=0 damp=1/0/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Failback b1>p1", "p1")]
    // The failback delay itself damps a flapping primary before dampening has to.
    [InlineData("", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90 | 50 p1=10 | 60 p1=90 | 119.999 | 120",
        "10 Failover p1>b1 | 120 Failback b1>p1", "p1")]
    public void Decide_FlappingPrimary_DampensFailbacks(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // The wall clock steps an hour either way while a failback is pending: the delay is 60 s of
    // monotonic time all the same (no early switch, no hour on the backup).
    [InlineData("", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 wall+3600 | 79.999 | 80", "10 Failover p1>b1 | 80 Failback b1>p1", "p1")]
    [InlineData("", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 wall-3600 | 79.999 | 80", "10 Failover p1>b1 | 80 Failback b1>p1", "p1")]
    // ... or while failbacks are held: the hold is 600 s of monotonic time, and the switches in the
    // dampening window age out on it too.
    [InlineData("delay=0 damp=2/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90 | 50 wall+3600 | 639.999 | 640",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Dampened b1>p1 | 640 Failback b1>p1", "p1")]
    [InlineData("delay=0 damp=2/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90 | 50 wall-3600 | 639.999 | 640",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Dampened b1>p1 | 640 Failback b1>p1", "p1")]
    // A flapping primary around a step: still at most the allowed switches, then held.
    [InlineData("delay=0 damp=3/300/600",
        "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 wall-3600 | 30 p1=10 | 40 p1=90 wall+7200 | 50 p1=10 | 60 p1=90 | 639.999 | 640",
        "10 Failover p1>b1 | 20 Failback b1>p1 | 30 Failover p1>b1 | 40 Dampened b1>p1 | 640 Failback b1>p1", "p1")]
    public void Decide_WallClockStep_TimesRunOnMonotonicTime(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Fact]
    public void Decide_WallClockStep_EventsStampedWithTheSteppedWallClock()
    {
        var result = Run("", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 wall-3600 | 80");

        Assert.Equal([At(10).Wall, At(80, -3600).Wall], result.All.Select(e => e.Timestamp));
        Assert.Equal(E(80), Assert.Single(result.Outcomes[^1].State.RecentSwitches.Skip(1)));
    }

    [Fact]
    public void Decide_Dampened_KeepsTrackingPrimaryAndRecordsEverySwitch()
    {
        var result = Run("delay=0 damp=1/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=79 | 40 p1=90 | 620");

        // Held at 20 until 620; the primary's clock restarts on the dip at 30 and runs from 40.
        Assert.Equal(E(620), result.Outcomes[2].State.HeldUntil);
        Assert.Null(result.Outcomes[3].State.PrimaryHealthySince);
        Assert.Equal(E(40), result.Outcomes[4].State.PrimaryHealthySince);
        Assert.Equal(E(620), result.Outcomes[4].State.HeldUntil);
        Assert.Equal(new[] { E(10) }, result.Outcomes[4].State.RecentSwitches);

        // At 620 the hold is over and cleared, the old switch has aged out, and the failback is recorded.
        var last = result.Outcomes[5].State;
        Assert.Equal("p1", last.ActivePathId);
        Assert.Null(last.HeldUntil);
        Assert.Null(last.PrimaryHealthySince);
        Assert.Equal(new[] { E(620) }, last.RecentSwitches);
    }
}
