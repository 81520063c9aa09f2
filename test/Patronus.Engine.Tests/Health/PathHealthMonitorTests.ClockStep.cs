using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

/// <summary>
/// The wall clock steps (NTP, an operator) while monotonic time runs on: probes are scheduled and
/// expired on monotonic time, so nothing but the stamps on records may notice.
/// </summary>
public sealed partial class PathHealthMonitorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void WallClockStep_HealthyPath_StaysUpAndKeepsProbingAndSampling(int hours)
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);
        // The step lands while a probe is in flight, as it always does on an edge with many targets.
        Run(monitor, TimeSpan.FromSeconds(1), () => _net.InFlight > 0);
        Assert.Equal(1, _net.InFlight);
        var transitions = _sink.Transitions.Count;
        var sent = _net.Sent("10.240.0.1:862");
        var samples = _sink.Samples.Count;

        _clock.StepWallClock(TimeSpan.FromHours(hours));
        var stepped = _clock.GetUtcNow();
        var seen = new HashSet<(PathStatus Status, double Loss)>();
        Run(monitor, TimeSpan.FromSeconds(10), () =>
        {
            var h = _state.Get("p")!;
            seen.Add((h.Status, h.PacketLossPct));
            return false;
        });

        // No probe expired as lost (a step forward), and the path never left Up.
        Assert.Equal([(PathStatus.Up, 0)], seen);
        Assert.Equal(transitions, _sink.Transitions.Count);
        // Probing did not stall (a step back): two probes a second, and a sample every second.
        Assert.InRange(_net.Sent("10.240.0.1:862") - sent, 19, 21);
        var newSamples = _sink.Samples.Skip(samples).ToList();
        Assert.InRange(newSamples.Count, 9, 11);
        // Records are stamped with the wall clock as it now reads.
        Assert.All(newSamples, s => Assert.InRange(s.Timestamp, stepped, stepped + TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void WallClockStep_DuringBlackout_DownAsFastAsWithoutStep(int hours)
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));

        _net.Blackout("10.240.0.1:862");
        var cut = _clock.GetTimestamp();
        _clock.StepWallClock(TimeSpan.FromHours(hours));
        Run(monitor, TimeSpan.FromSeconds(3), () => _state.Get("p")!.Status == PathStatus.Down);

        // The same bar as without a step: a lost probe is detected by its timeout on monotonic time.
        Assert.Equal(PathStatus.Down, _state.Get("p")!.Status);
        Assert.True(_clock.GetElapsedTime(cut) <= TimeSpan.FromMilliseconds(750), $"{_clock.GetElapsedTime(cut).TotalMilliseconds} ms after the cut");
    }
}
