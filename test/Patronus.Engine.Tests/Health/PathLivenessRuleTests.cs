using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class PathLivenessRuleTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static PathHealthSnapshot Probes(double score, PathStatus status, bool measured = true) =>
        new("p", 12, 0, 1, score, status, measured ? s_now.AddSeconds(-1) : null, 1, 1, 1, "within thresholds");

    [Theory]
    // probe score, probe status, BFD cap (-1: none) → score, status, reason starts with BFD
    [InlineData(95, PathStatus.Up, -1, 95, PathStatus.Up, false)]
    [InlineData(95, PathStatus.Up, 100, 95, PathStatus.Up, false)]          // BFD Up: the probes judge quality
    [InlineData(95, PathStatus.Up, 50, 50, PathStatus.Degraded, true)]       // BFD Init: Degraded at best
    [InlineData(95, PathStatus.Up, 0, 0, PathStatus.Down, true)]             // BFD Down: Down at once
    [InlineData(60, PathStatus.Degraded, 50, 50, PathStatus.Degraded, true)]
    [InlineData(40, PathStatus.Down, 50, 40, PathStatus.Down, false)]        // already below the cap
    [InlineData(0, PathStatus.Down, 0, 0, PathStatus.Down, false)]           // both down: the probes' reason stands
    public void Apply_CapsScoreAndStatus(double score, PathStatus status, double cap, double expectedScore, PathStatus expectedStatus, bool bfdReason)
    {
        var liveness = cap < 0 ? (PathLiveness?)null : new PathLiveness(cap, "BFD x");

        var result = PathLivenessRule.Apply(Probes(score, status), liveness);

        Assert.Equal(expectedScore, result.HealthScore);
        Assert.Equal(expectedStatus, result.Status);
        Assert.Equal(bfdReason, result.Reason.StartsWith("BFD x; probes: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Apply_NotYetProbed_StaysUnknown_NoMeasurementInvented()
    {
        var unknown = PathHealthSnapshot.Unknown("p", 1, 1);

        Assert.Same(unknown, PathLivenessRule.Apply(unknown, new PathLiveness(0, "BFD down")));
        Assert.Same(unknown, PathLivenessRule.Apply(unknown, new PathLiveness(100, "BFD up")));
    }
}
