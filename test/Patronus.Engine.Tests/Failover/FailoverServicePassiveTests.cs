using Patronus.Engine.Failover;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// Failover acts on the tunnels' passive loss through the path's health score (docs/health.md): the
/// probes see nothing wrong, the traffic loses 10 %, the policy leaves the path.
/// </summary>
public sealed class FailoverServicePassiveTests
{
    [Fact]
    public async Task Evaluate_ProbesCleanTunnelTrafficLoses10Percent_SwitchesOnTheScore()
    {
        await using var h = await FailoverServiceHarness.StartAsync();
        h.Score("p1", 100);
        h.Score("p2", 100);
        Assert.Empty(h.Evaluate());

        var probes = new PathHealthSnapshot("p1", 10, 0, 1, 100, PathStatus.Up, h.Clock.GetUtcNow(), 1, 1, 1, "within thresholds");
        h.Health.Publish(PassiveLossRule.Apply(probes, new PathPassiveLoss(10, 1000, 900), HealthThresholds.Default, 200));
        var e = Assert.Single(h.Evaluate());

        Assert.Equal(FailoverEventType.FailoverTriggered, e.Type);
        Assert.StartsWith("path p1 score 20 < failover threshold 50; switched to p2", e.Reason, StringComparison.Ordinal);
        Assert.Equal("p2", h.Status.ActivePathId);
    }
}
