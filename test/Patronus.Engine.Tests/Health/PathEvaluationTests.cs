using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class PathEvaluationTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private static readonly TargetView s_good = new(new WindowMeasurement(10, 0, 1, 30, 0), true);
    private static readonly TargetView s_slow = new(new WindowMeasurement(200, 0, 1, 30, 0), true);
    private static readonly TargetView s_dead = new(new WindowMeasurement(10, 100, 1, 0, 30), false);
    private static readonly TargetView s_never = new(null, false);

    private static PathHealthSnapshot Eval(int quorum, params TargetView[] targets) =>
        PathEvaluation.Evaluate("p", targets, quorum, HealthThresholds.Default, s_now);

    [Fact]
    public void Evaluate_OneOfTwoDead_QuorumOne_Up() =>
        Assert.Equal((PathStatus.Up, 100.0, 1), (Eval(1, s_dead, s_good).Status, Eval(1, s_dead, s_good).HealthScore, Eval(1, s_dead, s_good).TargetsUp));

    [Fact]
    public void Evaluate_OneOfTwoDead_QuorumTwo_DownQuorumNotMet()
    {
        var h = Eval(2, s_good, s_dead);
        Assert.Equal(PathStatus.Down, h.Status);
        Assert.Equal(0, h.HealthScore);
        Assert.Contains("quorum not met: 1 of 2", h.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_KthBestDecides()
    {
        // quorum 2 of 3: the second best (slow) target's numbers speak for the path.
        var h = Eval(2, s_good, s_slow, s_dead);
        Assert.Equal(200, h.LatencyMs);
        Assert.Equal(PathStatus.Degraded, h.Status);
        Assert.Contains("latency 200.0 ms > 150 ms", h.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AllLost_DownHundredPercentLastLatency()
    {
        var h = Eval(1, s_dead);
        Assert.Equal((PathStatus.Down, 100.0, 10.0, 0.0), (h.Status, h.PacketLossPct, h.LatencyMs, h.HealthScore));
        Assert.NotNull(h.LastChecked);
    }

    [Fact]
    public void Evaluate_NothingMeasured_UnknownDown()
    {
        var h = Eval(1, s_never, s_never);
        Assert.Equal(PathStatus.Down, h.Status);
        Assert.Null(h.LastChecked);
    }

    [Theory]
    [InlineData(2, 100, "within thresholds")]       // one cold-start outlier among 2 answers: not scored yet
    [InlineData(4, 100, "within thresholds")]
    [InlineData(5, 10, "jitter 90.0 ms > 30 ms")]     // from MinJitterSamples on, jitter counts: 100 − (90/30)·30
    public void Evaluate_JitterScoredFromMinSamples(int answered, double score, string reason)
    {
        var m = new WindowMeasurement(5, 0, 90, answered, 0);

        var h = PathEvaluation.Evaluate("p", [new TargetView(m, true)], 1, HealthThresholds.Default, s_now);

        Assert.Equal(score, h.HealthScore);
        Assert.Equal(90, h.JitterMs); // reported either way
        Assert.Equal(reason, h.Reason);
    }
}
