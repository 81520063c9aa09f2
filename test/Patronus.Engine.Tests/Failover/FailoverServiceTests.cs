using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Tests.Failover;

/// <summary>The failover service on a fake clock, over a real store: see <see cref="FailoverServiceHarness"/>.</summary>
public sealed partial class FailoverServiceTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Loop_HealthChanges_DecidedAtOnceWithoutTimePassing()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        var events = h.Service.Subscribe();
        var sleeping = new ChangeSignal();
        h.Service.SleepingForTest = sleeping;
        var asleep = sleeping.Next;
        await h.Service.StartAsync(CancellationToken.None);
        await asleep.WaitAsync(s_deadline);
        h.Score("p2", 100);

        // The health signal wakes the loop, which reads the current health: no timer, no poll.
        h.Score("p1", 10);
        var e = await events.ReadAsync().AsTask().WaitAsync(s_deadline);

        Assert.Equal((FailoverEventType.FailoverTriggered, "p1", "p2"), (e.Type, e.FromPathId, e.ToPathId));
        Assert.Equal("p2", h.Status.ActivePathId);
        Assert.Equal(h.Clock.GetUtcNow(), e.Timestamp);
        await h.Service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Evaluate_BfdDownInThePathsHealth_SwitchesWithBfdAsTheReason()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        h.Score("p1", 100);
        h.Score("p2", 100);
        Assert.Empty(h.Evaluate());

        // What BFD says reaches failover once, in the path's health (score capped to 0, and the verdict).
        h.Score("p1", 100, new PathLiveness(0, "BFD down (control_detection_time_expired)"));
        var e = Assert.Single(h.Evaluate());

        Assert.Equal(FailoverEventType.FailoverTriggered, e.Type);
        Assert.StartsWith("path p1 BFD down; switched to p2", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NothingMeasured_OnThePrimaryWithItsRouteAndNoTimer()
    {
        await using var h = await FailoverServiceHarness.StartAsync();

        Assert.Empty(h.Evaluate());

        Assert.Equal("p1", h.Status.ActivePathId);
        Assert.Equal(["10.20.0.0/16 p1 via 10.0.1.1 dev wan1"], h.Routes);
        Assert.Null(h.Wake);
        Assert.Null(h.Status.LastSwitch);
        Assert.Null(h.Status.FailbackPendingSince);
        Assert.Empty(h.Service.InstalledRoutes); // kernel routes off
    }

    [Fact]
    public async Task Evaluate_PrimaryUnacceptable_SwapsTheRouteTableAndStampsTheSwitch()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        h.Score("p1", 100);
        h.Score("p2", 100);
        h.Evaluate();
        var before = h.Service.Routes.Current;
        h.Advance(TimeSpan.FromSeconds(3));

        h.Score("p1", 12.5);
        var e = Assert.Single(h.Evaluate());

        Assert.Equal("path p1 score 12.5 < failover threshold 50; switched to p2 (score 100)", e.Reason);
        Assert.Equal(["10.20.0.0/16 p2 via 10.0.2.1 dev wan2"], h.Routes);
        Assert.NotSame(before, h.Service.Routes.Current);
        Assert.Equal(h.Clock.GetUtcNow(), h.Status.LastSwitch);

        // Nothing new: the same table instance, no event.
        var after = h.Service.Routes.Current;
        Assert.Empty(h.Evaluate());
        Assert.Same(after, h.Service.Routes.Current);
    }

    [Fact]
    public async Task Evaluate_FailbackPending_SleepsExactlyUntilItIsDue_StatusOnTheWallClock()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        h.Score("p1", 10);
        h.Score("p2", 100);
        h.Evaluate();
        h.Advance(TimeSpan.FromSeconds(5));
        h.Score("p1", 100);
        var healthyAt = h.Clock.GetUtcNow();

        h.Evaluate();
        Assert.Equal(TimeSpan.FromSeconds(60), h.Wake);
        Assert.Equal(healthyAt, h.Status.FailbackPendingSince);

        h.Advance(TimeSpan.FromSeconds(20));
        h.Clock.StepWallClock(TimeSpan.FromHours(1));
        h.Evaluate();
        Assert.Equal(TimeSpan.FromSeconds(40), h.Wake);
        // The API shows the pending-since time as the (stepped) wall clock reads now.
        Assert.Equal(healthyAt + TimeSpan.FromHours(1), h.Status.FailbackPendingSince);

        h.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(FailoverEventType.FailbackCompleted, Assert.Single(h.Evaluate()).Type);
        Assert.Null(h.Wake);
        Assert.Null(h.Status.FailbackPendingSince);
        Assert.Equal(["10.20.0.0/16 p1 via 10.0.1.1 dev wan1"], h.Routes);
    }

    [Fact]
    public async Task Evaluate_FlapHeld_StatusShowsTheHoldOnTheWallClock()
    {
        await using var h = await FailoverServiceHarness.StartAsync(new FailoverOptions { KernelRoutes = false, FlapMaxSwitches = 1 }, TimeSpan.Zero);
        h.Score("p2", 100);
        h.Score("p1", 10);
        h.Evaluate();
        h.Score("p1", 100);

        var dampened = Assert.Single(h.Evaluate());

        Assert.Equal(FailoverEventType.FlapDampened, dampened.Type);
        Assert.Equal(h.Clock.GetUtcNow() + TimeSpan.FromMinutes(10), h.Status.HeldUntil);
        Assert.Equal(TimeSpan.FromMinutes(10), h.Wake);
    }

    [Fact]
    public async Task Policies_DisabledThenEnabled_EventsRoutesToThePrimaryThenDecisionsResume()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        var id = await AddPolicyFailedOverAsync(h);

        var policy = h.Store.Policies.Current.Single(p => p.Id == id);
        await Write(h, policy with { Enabled = false });
        var disabled = Assert.Single(h.Sync());
        h.Evaluate();

        Assert.Equal((FailoverEventType.PolicyDisabled, id, "p2", "p1"), (disabled.Type, disabled.PolicyId, disabled.FromPathId, disabled.ToPathId));
        Assert.Equal("p1", h.Service.Status[id].ActivePathId);
        Assert.Contains("10.40.0.0/16 p1 via 10.0.1.1 dev wan1", h.Routes);
        Assert.Contains("10.20.0.0/16 p2 via 10.0.2.1 dev wan2", h.Routes); // the other policy is untouched

        await Write(h, policy with { Enabled = true });
        Assert.Equal(FailoverEventType.PolicyEnabled, Assert.Single(h.Sync()).Type);
        Assert.Equal(FailoverEventType.FailoverTriggered, Assert.Single(h.Evaluate()).Type); // p1 is still bad
        Assert.Contains("10.40.0.0/16 p2 via 10.0.2.1 dev wan2", h.Routes);
    }

    [Fact]
    public async Task Policies_Removed_StatusAndRoutesGo_PrimaryChanged_StartsOverOnIt()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        var id = await AddPolicyFailedOverAsync(h);

        // A new primary: the old state means nothing for it.
        var policy = h.Store.Policies.Current.Single(p => p.Id == id);
        await Write(h, policy with { PrimaryPathId = "p2", BackupPathIds = ["p1"] });
        h.Sync();
        Assert.Empty(h.Evaluate());
        Assert.Equal("p2", h.Service.Status[id].ActivePathId);
        Assert.Null(h.Service.Status[id].State.PrimaryHealthySince);
        Assert.Empty(h.Service.Status[id].State.RecentSwitches);

        Assert.True((await h.Store.Policies.WriteAsync((s, ct) => s.DeleteFailoverPolicyAsync(id, ct))).Succeeded);
        h.Sync();
        h.Evaluate();

        Assert.False(h.Service.Status.ContainsKey(id));
        Assert.Equal(["10.20.0.0/16 p2 via 10.0.2.1 dev wan2"], h.Routes);
    }

    [Fact]
    public async Task Events_RecordedWithEveryPathsInputs()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        await h.Recorder.StartAsync(CancellationToken.None);
        h.Score("p1", 100, new PathLiveness(0, "BFD down (control_detection_time_expired)"));
        h.Score("p2", 87.1234);

        var e = Assert.Single(h.Evaluate());
        await Patronus.TestSupport.Poll.AssertAsync(() => h.Recorder.Written == 1, s_deadline, "the recorder wrote the event");
        await h.Recorder.StopAsync(CancellationToken.None);

        var stored = Assert.Single(await h.Store.Store.GetFailoverEventsAsync(h.PolicyId, DateTimeOffset.UnixEpoch, 10));
        Assert.Equal(e with { Timestamp = stored.Event.Timestamp }, stored.Event);
        Assert.Equal(e.Timestamp.ToUnixTimeMilliseconds(), stored.Event.Timestamp.ToUnixTimeMilliseconds());
        Assert.Equal("""{"p1":{"score":0,"bfd_down":true,"measured":true},"p2":{"score":87.123,"bfd_down":null,"measured":true}}""", stored.Details);
    }

    [Fact]
    public async Task Loop_PolicyWritten_FollowedAtOnce()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        var sleeping = new ChangeSignal();
        h.Service.SleepingForTest = sleeping;
        var asleep = sleeping.Next;
        await h.Service.StartAsync(CancellationToken.None);
        await asleep.WaitAsync(s_deadline);

        asleep = sleeping.Next;
        var id = await h.Store.AddPolicyAsync("to-branch", "10.40.0.0/16");
        await asleep.WaitAsync(s_deadline);

        Assert.Equal("p1", h.Service.Status[id].ActivePathId);
        Assert.Contains("10.40.0.0/16 p1 via 10.0.1.1 dev wan1", h.Routes);
        await h.Service.StopAsync(CancellationToken.None);
    }

    /// <summary>Adds API policy "to-branch" (10.40.0.0/16, p1 then p2) and fails both policies over to p2; returns its id.</summary>
    private static async Task<long> AddPolicyFailedOverAsync(FailoverServiceHarness h)
    {
        var id = await h.Store.AddPolicyAsync("to-branch", "10.40.0.0/16");
        h.Sync();
        h.Score("p1", 10);
        h.Score("p2", 100);
        Assert.Equal(2, h.Evaluate().Count(e => e.Type == FailoverEventType.FailoverTriggered));
        Assert.Equal("p2", h.Service.Status[id].ActivePathId);
        return id;
    }

    private static async Task Write(FailoverServiceHarness h, FailoverPolicy policy) =>
        Assert.True((await h.Store.Policies.WriteAsync((s, ct) => s.UpdateFailoverPolicyAsync(policy, ct))).Succeeded);
}
