using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class PassiveLossRuleTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly HealthThresholds s_thresholds = HealthThresholds.Default; // loss 5 %
    private const int MinPackets = 200;

    /// <summary>The probes' snapshot: 20 ms, <paramref name="loss"/> %, jitter 1 ms, scored by the seed's formula.</summary>
    private static PathHealthSnapshot Probes(double loss, int targetsUp = 1, bool measured = true)
    {
        var score = targetsUp >= 1 ? HealthScoring.Score(20, loss, 1, s_thresholds) : 0;
        var status = targetsUp >= 1 ? HealthScoring.StatusOf(score) : PathStatus.Down;
        return new("p", 20, loss, 1, score, status, measured ? s_now : null, targetsUp, 1, 1, loss > 5 ? "loss > 5 %" : "within thresholds");
    }

    [Theory]
    // probe loss, passive loss (-1: none), expected → loss, source, score, status
    [InlineData(0, -1, 0, 0, LossSource.Active, 100, PathStatus.Up)]                  // no tunnel traffic: the probes judge
    [InlineData(0, 10, 1000, 10, LossSource.Passive, 20, PathStatus.Down)]            // the case: probes clean, traffic loses 10 %
    [InlineData(0, 6, 1000, 6, LossSource.Passive, 52, PathStatus.Degraded)]          // 6 % > 5 %: 100 − 6/5 × 40
    [InlineData(0, 4, 1000, 4, LossSource.Passive, 100, PathStatus.Up)]               // under the threshold: costs nothing, still shown as the loss
    [InlineData(0, 10, 199, 0, LossSource.Active, 100, PathStatus.Up)]                // too few packets to count
    [InlineData(0, 10, 200, 10, LossSource.Passive, 20, PathStatus.Down)]             // exactly the minimum counts
    [InlineData(10, 3, 1000, 10, LossSource.Active, 20, PathStatus.Down)]             // probes worse: theirs stands
    [InlineData(10, 10, 1000, 10, LossSource.Active, 20, PathStatus.Down)]            // a tie: the probes' (nothing new)
    [InlineData(6, 10, 1000, 10, LossSource.Passive, 20, PathStatus.Down)]            // both over: the worse one's term replaces the probes'
    [InlineData(0, 0, 1000, 0, LossSource.Active, 100, PathStatus.Up)]                // clean traffic does not lift anything
    [InlineData(30, 0, 1000, 30, LossSource.Active, 0, PathStatus.Down)]              // clean traffic does not hide the probes' loss
    [InlineData(0, 100, 1000, 100, LossSource.Passive, 0, PathStatus.Down)]           // traffic black-holed, probes pass: clamped at 0
    public void Apply_WorseOfProbesAndEnoughTraffic(
        double probeLoss, double passiveLoss, long expected, double loss, LossSource source, double score, PathStatus status)
    {
        PathPassiveLoss? passive = passiveLoss < 0 ? null : new PathPassiveLoss(passiveLoss, expected, expected - (long)(expected * passiveLoss / 100));

        var result = PassiveLossRule.Apply(Probes(probeLoss), passive, s_thresholds, MinPackets);

        Assert.Equal((loss, source, status), (result.PacketLossPct, result.LossSource, result.Status));
        Assert.Equal(score, result.HealthScore, 6);
        Assert.Equal(probeLoss, result.ActiveLossPct);
        Assert.Equal(passive, result.Passive); // the input rides along, counted or not
    }

    [Fact]
    public void Apply_PassiveDrives_ReasonNamesTheTrafficAndKeepsTheProbes()
    {
        var result = PassiveLossRule.Apply(Probes(0), new PathPassiveLoss(10, 1000, 900), s_thresholds, MinPackets);

        Assert.Equal("passive loss 10.0 % > 5 % (900 of 1000 tunnel messages arrived); probes: within thresholds", result.Reason);
    }

    [Fact]
    public void Apply_LatencyAndJitterTermsStay()
    {
        // 300 ms costs 60 points (300 / 150 × 30); 10 % passive loss costs 80 more: clamped at 0.
        var probes = new PathHealthSnapshot("p", 300, 0, 1, 40, PathStatus.Down, s_now, 1, 1, 1, "latency 300.0 ms > 150 ms");
        Assert.Equal(0, PassiveLossRule.Apply(probes, new PathPassiveLoss(10, 1000, 900), s_thresholds, MinPackets).HealthScore);

        // 200 ms costs 40 points; 6 % loss 48 more: 12.
        probes = probes with { LatencyMs = 200, HealthScore = 60, Status = PathStatus.Degraded };
        var result = PassiveLossRule.Apply(probes, new PathPassiveLoss(6, 1000, 940), s_thresholds, MinPackets);
        Assert.Equal(HealthScoring.Score(200, 6, 1, s_thresholds), result.HealthScore, 6);
        Assert.Equal(PathStatus.Down, result.Status);
    }

    [Fact]
    public void Apply_QuorumNotMet_StaysDownWithItsReason()
    {
        var probes = Probes(0, targetsUp: 0) with { Reason = "quorum not met: 0 of 1 targets answering, 1 needed" };

        var result = PassiveLossRule.Apply(probes, new PathPassiveLoss(10, 1000, 900), s_thresholds, MinPackets);

        Assert.Equal((0.0, PathStatus.Down, LossSource.Passive), (result.HealthScore, result.Status, result.LossSource));
        Assert.Equal(probes.Reason, result.Reason);
    }

    [Fact]
    public void Apply_NotYetProbed_StaysUnknown_NoMeasurementInvented()
    {
        var unknown = PathHealthSnapshot.Unknown("p", 1, 1);

        Assert.Same(unknown, PassiveLossRule.Apply(unknown, new PathPassiveLoss(50, 1000, 500), s_thresholds, MinPackets));
    }

    [Fact]
    public void Apply_SameInputTwice_SameSnapshot()
    {
        var probes = Probes(0);
        var once = PassiveLossRule.Apply(probes, new PathPassiveLoss(10, 1000, 900), s_thresholds, MinPackets);

        Assert.Equal(once, PassiveLossRule.Apply(probes, new PathPassiveLoss(10, 1000, 900), s_thresholds, MinPackets));
        Assert.Same(probes, PassiveLossRule.Apply(probes, null, s_thresholds, MinPackets));
    }

    [Theory]
    // A path whose traffic loss crosses the threshold and back, one reading each (flap rows): the
    // rule has no memory, the status follows each reading; failover's own hysteresis holds the route.
    [InlineData(new double[] { 0, 6, 0, 6 }, new[] { PathStatus.Up, PathStatus.Degraded, PathStatus.Up, PathStatus.Degraded })]
    [InlineData(new double[] { 5, 5.1, 5 }, new[] { PathStatus.Up, PathStatus.Degraded, PathStatus.Up })] // just over: the seed's step (−40.8)
    public void Apply_Flapping_FollowsEachReading(double[] readings, PathStatus[] statuses)
    {
        var result = readings.Select(r => PassiveLossRule.Apply(Probes(0), new PathPassiveLoss(r, 1000, 1000 - (long)(r * 10)), s_thresholds, MinPackets).Status);

        Assert.Equal(statuses, result);
    }
}
