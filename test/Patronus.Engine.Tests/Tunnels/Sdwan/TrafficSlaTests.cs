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

    [Theory]
    [InlineData(true, null, 10.0, 0.5, 5.0, true)]
    [InlineData(false, null, 10.0, 0.5, 5.0, false)] // never measured: not fit (a class is not steered onto it)
    [InlineData(true, true, 10.0, 0.0, 5.0, false)] // BFD Down
    [InlineData(true, false, 10.0, 0.0, 5.0, true)]
    [InlineData(true, null, 0.0, 100.0, 0.0, false)] // nothing answers: no latency to breach, still unfit
    [InlineData(true, null, 10.0, 1.01, 5.0, false)]
    public void IsMetBy_PathHealth_MeasuredAnsweringAndWithinEveryThreshold(bool measured, bool? bfdDown, double latency, double loss, double jitter, bool met) =>
        Assert.Equal(met, s_voice.IsMetBy(measured, bfdDown, latency, loss, jitter));

    [Fact]
    public void IsMetBy_NoThresholds_AnyAnsweringPath() =>
        Assert.Equal((true, false), (TrafficSla.None.IsMetBy(true, null, 900, 99, 900), TrafficSla.None.IsMetBy(true, null, 0, 100, 0)));
}
