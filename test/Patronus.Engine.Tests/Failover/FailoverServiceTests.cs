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
}
