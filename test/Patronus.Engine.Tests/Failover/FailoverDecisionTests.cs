using Patronus.Engine.Failover;
using static Patronus.Engine.Tests.Failover.FailoverDecisionTimeline;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// Tables of timelines through <see cref="FailoverDecision.Decide"/> (syntax in
/// <see cref="FailoverDecisionTimeline"/>). Default policy: primary p1, backups b1 b2, failover
/// threshold 50, failback threshold 80, failback delay 60 s, dampening 3 switches / 300 s / hold 600 s.
/// </summary>
public sealed partial class FailoverDecisionTests
{
    [Theory]
    // Thresholds are inclusive: exactly 50 is acceptable, 49.99 is not.
    [InlineData("", "0 p1=50 b1=90", "", "p1")]
    [InlineData("", "0 p1=49.99 b1=90", "0 Failover p1>b1", "b1")]
    [InlineData("fo=70", "0 p1=69.9 b1=70", "0 Failover p1>b1", "b1")]
    // BFD Down makes a path unacceptable whatever its score; BFD Up changes nothing.
    [InlineData("", "0 p1=100! b1=90", "0 Failover p1>b1", "b1")]
    [InlineData("", "0 p1=100+ b1=90", "", "p1")]
    // NaN is unacceptable, never a crash.
    [InlineData("", "0 p1=NaN b1=90", "0 Failover p1>b1", "b1")]
    // Never act on no data: an unmeasured active path is left alone, even with BFD Down (sessions start Down).
    [InlineData("", "0 p1=10? b1=90", "", "p1")]
    [InlineData("", "0 p1=0?! b1=90", "", "p1")]
    // Startup with the primary unknown: nothing happens until it is measured, then the rules apply.
    [InlineData("", "0 b1=90 b2=80 | 10 | 20 p1=10", "20 Failover p1>b1", "b1")]
    [InlineData("", "0 b1=90 b2=80 | 10 | 20 p1=95", "", "p1")]
    public void Decide_ActivePathAcceptability_SwitchesOnlyWhenUnacceptable(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // Highest score wins; ties go to the configured order (primary first, then backups in order), not the name.
    [InlineData("", "0 p1=10 b1=70 b2=70", "0 Failover p1>b1", "b1")]
    [InlineData("backups=b2,b1", "0 p1=10 b1=70 b2=70", "0 Failover p1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=70 b2=70.5", "0 Failover p1>b2", "b2")]
    // A candidate at exactly the failover threshold is acceptable, just below it is not.
    [InlineData("", "0 p1=10 b1=50 b2=49.99", "0 Failover p1>b1", "b1")]
    // Unacceptable candidates are skipped: BFD Down, not measured, missing, NaN.
    [InlineData("", "0 p1=10 b1=99! b2=60", "0 Failover p1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=99? b2=60", "0 Failover p1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=x b2=60", "0 Failover p1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=NaN b2=60", "0 Failover p1>b2", "b2")]
    // The active backup dies: to the other backup, or to an acceptable primary (still a failover, not
    // a failback: it has not proven itself, but it is better than a dead path); ties prefer the primary.
    [InlineData("", "0 p1=10 b1=90 b2=60 | 10 b1=20", "0 Failover p1>b1 | 10 Failover b1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=90 b2=55 | 10 p1=60 b1=20", "0 Failover p1>b1 | 10 Failover b1>p1", "p1")]
    [InlineData("", "0 p1=10 b1=90 b2=60 | 10 p1=60 b1=0!", "0 Failover p1>b1 | 10 Failover b1>p1", "p1")]
    [InlineData("", "0 p1=10 b1=90 b2=70 | 10 p1=60 b1=20", "0 Failover p1>b1 | 10 Failover b1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=90 | 30 b1=10", "0 Failover p1>b1 | 30 Failover b1>p1", "p1")]
    // Once back on the primary that way, there is no failback event later: it is already active.
    [InlineData("", "0 p1=10 b1=90 | 10 p1=60 b1=20 | 100 p1=90", "0 Failover p1>b1 | 10 Failover b1>p1", "p1")]
    // The active backup disappears from the inputs: no data, no decision.
    [InlineData("", "0 p1=10 b1=90 | 10 b1=x", "0 Failover p1>b1", "b1")]
    public void Decide_ActiveUnacceptable_MovesToBestAcceptableCandidate(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // No acceptable candidate: stay, report once, do not repeat while the outage lasts.
    [InlineData("", "0 p1=10 b1=20 b2=90? | 5 | 10 p1=5 b1=x", "0 Failed p1>-", "p1")]
    [InlineData("", "0 p1=90! b1=90! b2=90!", "0 Failed p1>-", "p1")]
    [InlineData("backups=", "0 p1=10 | 5 | 10 p1=0!", "0 Failed p1>-", "p1")]
    // Recovery of the active path ends the outage: the next one is reported again.
    [InlineData("", "0 p1=10 b1=20 | 5 p1=60 | 10 p1=10", "0 Failed p1>- | 10 Failed p1>-", "p1")]
    // A candidate recovering is taken; the switch ends the outage too.
    [InlineData("", "0 p1=10 b1=20 | 5 b1=60 | 10 b1=20", "0 Failed p1>- | 5 Failover p1>b1 | 10 Failed b1>-", "b1")]
    public void Decide_NoAcceptableCandidate_StaysAndReportsOnce(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // Exactly the failback threshold is healthy; the delay is whole: delay − 1 ms not yet, delay yes.
    [InlineData("", "0 p1=10 b1=90 | 10 p1=80 | 69.999 | 70", "0 Failover p1>b1 | 70 Failback b1>p1", "p1")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=79.99 | 1000", "0 Failover p1>b1", "b1")]
    // Any dip restarts the clock: a score dip, BFD Down, or no measurement.
    [InlineData("", "0 p1=10 b1=90 | 10 p1=90 | 40 p1=79 | 50 p1=90 | 70 | 109.999 | 110", "0 Failover p1>b1 | 110 Failback b1>p1", "p1")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=90 | 40 p1=90! | 50 p1=90+ | 70 | 110", "0 Failover p1>b1 | 110 Failback b1>p1", "p1")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=90 | 40 p1=90? | 50 p1=90 | 70 | 110", "0 Failover p1>b1 | 110 Failback b1>p1", "p1")]
    // Zero delay (and a negative one) fails back at once when healthy.
    [InlineData("delay=0", "0 p1=10 b1=90 | 10 p1=80", "0 Failover p1>b1 | 10 Failback b1>p1", "p1")]
    [InlineData("delay=-5", "0 p1=10 b1=90 | 10 p1=80", "0 Failover p1>b1 | 10 Failback b1>p1", "p1")]
    // Failback from whichever backup is active.
    [InlineData("", "0 p1=10 b1=10 b2=60 | 10 p1=85 | 70", "0 Failover p1>b2 | 70 Failback b2>p1", "p1")]
    // A failback threshold below the failover threshold (misconfigured) still needs an acceptable primary.
    [InlineData("fb=30", "0 p1=10 b1=90 | 10 p1=40 | 100", "0 Failover p1>b1", "b1")]
    [InlineData("fb=30", "0 p1=10 b1=90 | 10 p1=50 | 70", "0 Failover p1>b1 | 70 Failback b1>p1", "p1")]
    public void Decide_PrimaryHealthyForWholeDelay_FailsBack(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // The primary hovering around the failover threshold: one failover, then it never reaches 80.
    [InlineData("", "0 p1=51 b1=90 | 1 p1=49 | 2 p1=51 | 3 p1=49 | 4 p1=51 | 100 | 200", "1 Failover p1>b1", "b1")]
    // The primary hovering around the failback threshold, dipping within every delay: no failback.
    [InlineData("", "0 p1=10 b1=90 | 10 p1=81 | 40 p1=79 | 50 p1=81 | 80 p1=79 | 90 p1=81 | 120 p1=79 | 200", "0 Failover p1>b1", "b1")]
    // Two backups trading the lead: no move between backups while the active one is acceptable.
    [InlineData("", "0 p1=10 b1=60 b2=70 | 10 b1=90 b2=55 | 20 b1=55 b2=95 | 30 b1=99 b2=51", "0 Failover p1>b2", "b2")]
    [InlineData("", "0 p1=10 b1=55 b2=40 | 10 b2=99 | 20 b1=50", "0 Failover p1>b1", "b1")]
    public void Decide_ScoresHoveringAroundThresholds_DoNotFlap(string config, string timeline, string events, string active)
    {
        var result = Run(config, timeline);

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Theory]
    // While waiting, wake at healthy since + delay; nothing to wake for otherwise.
    [InlineData("", "0 p1=10 b1=90 | 10 p1=80 | 30 | 70", "- 70 70 -")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=90 | 40 p1=79 | 50 p1=90", "- 70 - 110")]
    // Dampened: wake at the end of the hold, but only while a failback is waiting for it.
    [InlineData("delay=0 damp=1/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 p1=10 | 40 p1=90 | 620", "- - 620 - 620 -")]
    [InlineData("delay=0 damp=1/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90 | 30 b1=10 | 40", "- - 620 - -")]
    // A failover to another backup while the primary's clock runs keeps the clock.
    [InlineData("", "0 p1=10 b1=90 b2=60 | 10 p1=85 | 20 b1=10 b2=95", "- 70 70")]
    // No data, disabled, or on the healthy primary: nothing to wake for.
    [InlineData("", "0 b1=90 | 10 p1=90", "- -")]
    [InlineData("off", "0 p1=10 b1=90 | 10", "- -")]
    public void Decide_WakeAt_IsTheNextTimeTheDecisionCouldChange(string config, string timeline, string wakes)
    {
        Assert.Equal(wakes, Run(config, timeline).Wakes);
    }

    [Theory]
    [InlineData("", "0 p1=12.5 b1=90", "path p1 score 12.5 < failover threshold 50; switched to b1 (score 90)")]
    [InlineData("", "0 p1=99! b1=90", "path p1 BFD down; switched to b1 (score 90)")]
    [InlineData("", "0 p1=NaN b1=90", "path p1 score is not a number; switched to b1 (score 90)")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=60 b1=20",
        "path b1 score 20 < failover threshold 50; moved to primary p1 (score 60), the best acceptable path, before its failback delay")]
    [InlineData("", "0 p1=10 b1=99! b2=30",
        "path p1 score 10 < failover threshold 50; no acceptable path: path b1 BFD down, path b2 score 30 < failover threshold 50")]
    [InlineData("", "0 p1=10 b1=99?", "path p1 score 10 < failover threshold 50; no acceptable path: path b1 not measured, path b2 not measured")]
    [InlineData("backups=", "0 p1=10", "path p1 score 10 < failover threshold 50; no other path configured")]
    [InlineData("", "0 p1=10 b1=90 | 10 p1=92 | 70", "primary p1 score 92 ≥ failback threshold 80 for 60 s")]
    [InlineData("delay=0 damp=1/300/600", "0 p1=90 b1=90 | 10 p1=10 | 20 p1=90",
        "failback to primary p1 held for 600 s: it would be switch 2 within 300 s (at most 1)")]
    public void Decide_Event_ReasonNamesTheCauseWithNumbers(string config, string timeline, string reason)
    {
        var last = Run(config, timeline).All[^1];

        Assert.Equal(reason, last.Reason);
        Assert.Equal(7, last.PolicyId);
    }
}
