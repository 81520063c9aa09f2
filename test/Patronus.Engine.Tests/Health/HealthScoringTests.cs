using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class HealthScoringTests
{
    private static readonly HealthThresholds s_defaults = HealthThresholds.Default; // 150 ms, 5 %, 30 ms

    [Theory]
    // perfect
    [InlineData(0, 0, 0, 100)]
    // exactly at each threshold: not "over", no penalty
    [InlineData(150, 0, 0, 100)]
    [InlineData(0, 5, 0, 100)]
    [InlineData(0, 0, 30, 100)]
    [InlineData(150, 5, 30, 100)]
    // just over: the full weight × ratio (the seed's step)
    [InlineData(151, 0, 0, 100 - (151.0 / 150 * 30))]
    [InlineData(0, 5.1, 0, 100 - (5.1 / 5 * 40))]
    [InlineData(0, 0, 31, 100 - (31.0 / 30 * 30))]
    // far over one: clamped at 0
    [InlineData(1000, 0, 0, 0)]
    [InlineData(0, 50, 0, 0)]
    [InlineData(0, 0, 300, 0)]
    // two just over
    [InlineData(160, 6, 0, 100 - (160.0 / 150 * 30) - (6.0 / 5 * 40))]
    // all lost
    [InlineData(10, 100, 0, 0)]
    public void Score_SeedFormula(double latency, double loss, double jitter, double expected)
    {
        Assert.Equal(expected, HealthScoring.Score(latency, loss, jitter, s_defaults), 9);
    }

    [Theory]
    [InlineData(100, PathStatus.Up)]
    [InlineData(80, PathStatus.Up)]
    [InlineData(79.999, PathStatus.Degraded)]
    [InlineData(50, PathStatus.Degraded)]
    [InlineData(49.999, PathStatus.Down)]
    [InlineData(0, PathStatus.Down)]
    public void StatusOf_Boundaries(double score, PathStatus expected) =>
        Assert.Equal(expected, HealthScoring.StatusOf(score));

    [Fact]
    public void Score_PerPathThresholds_Applied()
    {
        var satellite = new HealthThresholds(LatencyMs: 700, LossPct: 5, JitterMs: 100);
        Assert.Equal(100, HealthScoring.Score(600, 0, 50, satellite));
        Assert.True(HealthScoring.Score(600, 0, 50, s_defaults) < 50);
    }
}
