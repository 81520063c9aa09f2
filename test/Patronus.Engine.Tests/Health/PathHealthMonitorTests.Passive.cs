using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

/// <summary>
/// The tunnels' passive loss next to the probes (docs/health.md): a path whose probes see no loss
/// but whose tunnel traffic loses 10 % is judged on the traffic, and goes back to Up when the
/// traffic is clean again; only the paths whose measurement changed are evaluated again.
/// </summary>
public sealed partial class PathHealthMonitorTests
{
    [Fact]
    public void PassiveLoss_ProbesCleanTrafficLoses10Percent_PathDownOnTheTrafficsLoss()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(3));
        var clean = _state.Get("p")!;
        Assert.Equal((PathStatus.Up, 0.0, LossSource.Active), (clean.Status, clean.PacketLossPct, clean.LossSource));

        _passive.Publish("p", new PathPassiveLoss(10, 1000, 900));
        monitor.PassiveChanged();
        monitor.Iterate();

        var lossy = _state.Get("p")!;
        Assert.Equal((PathStatus.Down, 10.0, LossSource.Passive, 0.0), (lossy.Status, lossy.PacketLossPct, lossy.LossSource, lossy.ActiveLossPct));
        Assert.True(lossy.HealthScore < clean.HealthScore);
        Assert.Equal(20, lossy.HealthScore, 6); // 100 − 10 / 5 × 40
        Assert.StartsWith("passive loss 10.0 % > 5 %", lossy.Reason, StringComparison.Ordinal);
        Assert.Contains(_sink.Transitions, t => t.Previous?.Status == PathStatus.Up && t.Current.LossSource == LossSource.Passive);

        // Probing goes on as before, and the next probe results keep the traffic's verdict.
        Run(monitor, TimeSpan.FromSeconds(2));
        Assert.Equal(LossSource.Passive, _state.Get("p")!.LossSource);

        _passive.Publish("p", new PathPassiveLoss(0, 1000, 1000));
        monitor.PassiveChanged();
        monitor.Iterate();
        Assert.Equal((PathStatus.Up, LossSource.Active), (_state.Get("p")!.Status, _state.Get("p")!.LossSource));
    }

    [Fact]
    public void PassiveLoss_TooFewPackets_ProbesJudge()
    {
        _options.PassiveMinPackets = 200;
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(3));

        _passive.Publish("p", new PathPassiveLoss(50, 20, 10)); // a quiet tunnel: 10 of 20
        monitor.PassiveChanged();
        monitor.Iterate();

        var h = _state.Get("p")!;
        Assert.Equal((PathStatus.Up, LossSource.Active), (h.Status, h.LossSource));
        Assert.Equal(new PathPassiveLoss(50, 20, 10), h.Passive); // shown all the same
    }

    [Fact]
    public void PassiveChanged_OnlyPathsWhoseMeasurementChanged_EvaluatedAgain()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("a"), Path("b")));
        Run(monitor, TimeSpan.FromSeconds(3));
        var b = _state.Get("b");

        _passive.Publish("a", new PathPassiveLoss(10, 1000, 900));
        monitor.PassiveChanged();
        monitor.Iterate();

        Assert.Equal(PathStatus.Down, _state.Get("a")!.Status);
        Assert.Same(b, _state.Get("b"));
    }

    [Fact]
    public void UsePassiveLossOff_TrafficLossIgnored()
    {
        _options.UsePassiveLoss = false;
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        _passive.Publish("p", new PathPassiveLoss(10, 1000, 900));
        Run(monitor, TimeSpan.FromSeconds(3));
        monitor.PassiveChanged();
        monitor.Iterate();

        var h = _state.Get("p")!;
        Assert.Equal((PathStatus.Up, LossSource.Active), (h.Status, h.LossSource));
        Assert.Null(h.Passive);
    }

    private sealed class FakePassive : IPathPassiveSource
    {
        private readonly Dictionary<string, PathPassiveLoss> _loss = [];

        public Patronus.Engine.Loops.ChangeSignal Changed { get; } = new();

        public void Publish(string pathId, PathPassiveLoss loss)
        {
            _loss[pathId] = loss;
            Changed.Notify();
        }

        public PathPassiveLoss? Passive(string pathId) => _loss.TryGetValue(pathId, out var l) ? l : null;
    }
}
