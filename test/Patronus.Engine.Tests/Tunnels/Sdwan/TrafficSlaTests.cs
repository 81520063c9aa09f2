using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class TrafficSlaTests
{
    private static readonly TrafficSla s_voice = new(MaxLatencyMs: 150, MaxLossPercent: 1, MaxJitterMs: 30);

    [Theory]
    [InlineData(100.0, 0.5, 10.0, false)]
    [InlineData(150.0, 1.0, 30.0, false)] // at the thresholds: met
    [InlineData(150.1, 0.0, 0.0, true)]
    [InlineData(10.0, 1.5, 0.0, true)]
    [InlineData(10.0, 0.0, 31.0, true)]
    [InlineData(null, null, null, false)] // not measured yet: not breached
    [InlineData(null, 2.0, null, true)]
    public void IsBreachedBy_Measurement_ComparesEachThreshold(double? latency, double? loss, double? jitter, bool breached) =>
        Assert.Equal(breached, s_voice.IsBreachedBy(latency, loss, jitter));

    [Fact]
    public void IsBreachedBy_NoThresholds_NeverBreached() => Assert.False(TrafficSla.None.IsBreachedBy(10_000, 100, 10_000));
}
