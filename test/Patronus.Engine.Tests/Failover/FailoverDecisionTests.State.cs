using Patronus.Engine.Failover;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using static Patronus.Engine.Tests.Failover.FailoverDecisionTimeline;

namespace Patronus.Engine.Tests.Failover;

public sealed partial class FailoverDecisionTests
{
    private static readonly Dictionary<string, FailoverPathInput> s_allHealthy = new()
    {
        ["p1"] = new("p1", 95, false, true),
        ["b1"] = new("b1", 90, null, true),
        ["b2"] = new("b2", 85, null, true),
    };

    [Fact]
    public void Decide_DisabledPolicyOnBackup_ReturnsToPrimaryAndKeepsTheRest()
    {
        var state = new FailoverPolicyState("b1", E(5), [E(1), E(2)], E(600), true);

        var outcome = FailoverDecision.Decide(Policy("off"), state, s_allHealthy, At(10), FailoverDampening.Default);

        Assert.Equal(state with { ActivePathId = "p1" }, outcome.State);
        Assert.Null(outcome.Event);
        Assert.Null(outcome.WakeAt);
    }

    [Fact]
    public void Decide_DisabledPolicyOnPrimary_ReturnsTheSameState()
    {
        var state = new FailoverPolicyState("p1", null, [], null, false);
        var dead = new Dictionary<string, FailoverPathInput> { ["p1"] = new("p1", 0, true, true), ["b1"] = new("b1", 90, null, true) };

        var outcome = FailoverDecision.Decide(Policy("off"), state, dead, At(10), FailoverDampening.Default);

        Assert.Same(state, outcome.State);
        Assert.Null(outcome.Event);
    }

    [Fact]
    public void Decide_NothingChanges_ReturnsTheSameState()
    {
        var policy = Policy();
        var state = FailoverPolicyState.Initial(policy);

        var first = FailoverDecision.Decide(policy, state, s_allHealthy, At(0), FailoverDampening.Default);
        var unmeasured = FailoverDecision.Decide(policy, state, new Dictionary<string, FailoverPathInput>(), At(1), FailoverDampening.Default);

        Assert.Same(state, first.State);
        Assert.Same(state, unmeasured.State);
        Assert.Equal(new FailoverOutcome(state, null, null), first);

        // An outage already reported, and a backup waiting for the primary's delay: the same state again.
        var dead = new Dictionary<string, FailoverPathInput> { ["p1"] = new("p1", 0, true, true) };
        var failed = FailoverDecision.Decide(policy, state, dead, At(2), FailoverDampening.Default);
        var stillFailed = FailoverDecision.Decide(policy, failed.State, dead, At(3), FailoverDampening.Default);
        Assert.Same(failed.State, stillFailed.State);
        Assert.Null(stillFailed.Event);

        var waiting = new FailoverPolicyState("b1", E(4), [E(1)], null, false);
        var stillWaiting = FailoverDecision.Decide(policy, waiting, s_allHealthy, At(5), FailoverDampening.Default);
        Assert.Same(waiting, stillWaiting.State);
        Assert.Equal(E(64), stillWaiting.WakeAt);
    }

    [Fact]
    public void Initial_StartsOnPrimaryWithNothingRecorded()
    {
        var state = FailoverPolicyState.Initial(Policy());

        Assert.Equal("p1", state.ActivePathId);
        Assert.Null(state.PrimaryHealthySince);
        Assert.Empty(state.RecentSwitches);
        Assert.Null(state.HeldUntil);
        Assert.False(state.FailureReported);
    }

    [Fact]
    public void Decide_Timeline_TracksFailureReportedAndPrimaryHealthySince()
    {
        var result = Run("", "0 p1=10 b1=20 | 5 | 10 b1=90 | 20 p1=85 | 30 p1=85! | 40 p1=80 | 100");
        var states = result.Outcomes.Select(o => o.State).ToArray();

        Assert.Equal([true, true, false, false, false, false, false], states.Select(s => s.FailureReported));
        Assert.Equal([null, null, null, E(20), null, E(40), null], states.Select(s => s.PrimaryHealthySince));
        Assert.Equal(["p1", "p1", "b1", "b1", "b1", "b1", "p1"], states.Select(s => s.ActivePathId));
        Assert.Equal(new[] { E(10), E(100) }, states[^1].RecentSwitches);
    }

    [Fact]
    public void Decide_Events_CarryPolicyPathsAndTime()
    {
        var result = Run("", "0 p1=12.5 b1=90 | 10 p1=92 | 70");

        Assert.Equal(
            new FailoverEvent(7, FailoverEventType.FailoverTriggered, "p1", "b1", "path p1 score 12.5 < failover threshold 50; switched to b1 (score 90)", At(0).Wall),
            result.All[0]);
        Assert.Equal(
            new FailoverEvent(7, FailoverEventType.FailbackCompleted, "b1", "p1", "primary p1 score 92 ≥ failback threshold 80 for 60 s", At(70).Wall),
            result.All[1]);
    }

    [Theory]
    // The active path is no longer one of the policy's (the policy was edited): it is treated like a
    // backup, failing back to the primary after the delay or moving to the best path of the policy.
    [InlineData("0 old=90 p1=90 | 59 | 60", "60 Failback old>p1", "p1")]
    [InlineData("0 old=90 p1=10 b1=60 b2=70 | 10 old=10", "10 Failover old>b2", "b2")]
    public void Decide_ActivePathNotInPolicy_BehavesLikeABackup(string timeline, string events, string active)
    {
        var result = Run("", timeline, new FailoverPolicyState("old", null, [], null, false));

        Assert.Equal(events, result.Events);
        Assert.Equal(active, result.State.ActivePathId);
    }

    [Fact]
    public void Decide_DuplicateAndUnknownPathIds_AreHarmless()
    {
        var policy = new FailoverPolicy(1, "dup", "p1", ["p1", "b1", "b1", "ghost"], 50, 80, TimeSpan.FromSeconds(60), true, [], ItemSource.Api);
        var paths = new Dictionary<string, FailoverPathInput> { ["p1"] = new("p1", 10, null, true), ["b1"] = new("b1", 10, null, true) };

        var outcome = FailoverDecision.Decide(policy, FailoverPolicyState.Initial(policy), paths, At(0), FailoverDampening.Default);

        Assert.Equal(
            "path p1 score 10 < failover threshold 50; no acceptable path: path b1 score 10 < failover threshold 50, path ghost not measured",
            outcome.Event?.Reason);
    }

    [Fact]
    public void Decide_NullArguments_Throw()
    {
        var policy = Policy();
        var state = FailoverPolicyState.Initial(policy);

        Assert.Throws<ArgumentNullException>(() => FailoverDecision.Decide(null!, state, s_allHealthy, At(0), FailoverDampening.Default));
        Assert.Throws<ArgumentNullException>(() => FailoverDecision.Decide(policy, null!, s_allHealthy, At(0), FailoverDampening.Default));
        Assert.Throws<ArgumentNullException>(() => FailoverDecision.Decide(policy, state, null!, At(0), FailoverDampening.Default));
        Assert.Throws<ArgumentNullException>(() => FailoverDecision.Decide(policy, state, s_allHealthy, At(0), null!));
    }

    [Fact]
    public void Decide_RandomExtremeInputs_NeverThrowsAndOnlySwitchesWithAnEvent()
    {
        var random = new Random(20261130);
        string?[] ids = ["p1", "b1", "b2", "ghost", "", null];
        double[] numbers = [double.NaN, double.NegativeInfinity, double.PositiveInfinity, -1, 0, 49.99, 50, 80, 100, 1e300];
        TimeSpan[] spans = [TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.FromSeconds(60), TimeSpan.FromDays(365 * 9000)];
        DateTimeOffset[] walls =
        [
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, T0,
            new(DateTime.MaxValue.AddHours(-20), TimeSpan.FromHours(14)),
            new(DateTime.MinValue.AddHours(20), TimeSpan.FromHours(-14)),
        ];
        T Pick<T>(T[] from) => from[random.Next(from.Length)];
        TimeSpan Time() => random.Next(3) == 0 ? TimeSpan.FromSeconds(random.Next(-1000, 1000)) : Pick(spans);
        LoopTime Now() => new(Time(), random.Next(3) == 0 ? T0.AddSeconds(random.Next(-1000, 1000)) : Pick(walls));
        double Number() => random.Next(3) == 0 ? random.NextDouble() * 100 : Pick(numbers);

        for (var i = 0; i < 20_000; i++)
        {
            var backups = Enumerable.Range(0, random.Next(5)).Select(_ => Pick(ids)!).ToArray();
            var policy = new FailoverPolicy(i, "fuzz", Pick(ids)!, backups, Number(), Number(), Pick(spans), random.Next(5) != 0, [], ItemSource.Api);
            var state = new FailoverPolicyState(
                Pick(ids)!,
                random.Next(2) == 0 ? null : Time(),
                Enumerable.Range(0, random.Next(6)).Select(_ => Time()).ToArray(),
                random.Next(2) == 0 ? null : Time(),
                random.Next(2) == 0);
            var paths = new Dictionary<string, FailoverPathInput>();
            foreach (var id in ids)
            {
                if (id is not null && random.Next(4) != 0)
                {
                    paths[id] = new(id, Number(), random.Next(3) switch { 0 => null, 1 => true, _ => false }, random.Next(4) != 0);
                }
            }

            var dampening = new FailoverDampening(Pick<int>([int.MinValue, -1, 0, 1, 3, int.MaxValue]), Pick(spans), Pick(spans));

            var outcome = FailoverDecision.Decide(policy, state, paths, Now(), dampening);

            var moved = outcome.State.ActivePathId != state.ActivePathId;
            var switchEvent = outcome.Event?.Type is FailoverEventType.FailoverTriggered or FailoverEventType.FailbackCompleted;
            if (policy.Enabled)
            {
                Assert.Equal(moved, switchEvent);
                Assert.True(!moved || outcome.State.ActivePathId == policy.PrimaryPathId || policy.BackupPathIds.Contains(outcome.State.ActivePathId));
            }
            else
            {
                Assert.Equal(policy.PrimaryPathId, outcome.State.ActivePathId);
                Assert.Null(outcome.Event);
            }
        }
    }
}
