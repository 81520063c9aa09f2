using System.Diagnostics;
using OpenTelemetry.Trace;
using Patronus.Engine.Telemetry;
using Patronus.Server.Observability;

namespace Patronus.Server.Tests.Observability;

/// <summary>The two sampling decisions: the engine's probe round credit, then the standard sampler for every span.</summary>
public sealed class TracingSamplerTests
{
    private static List<int> TracedRounds(double ratio, int rounds)
    {
        var credit = 0.0;
        var traced = new List<int>();
        for (var round = 1; round <= rounds; round++)
        {
            if (ProbeRoundSampling.Next(ref credit, ratio))
            {
                traced.Add(round);
            }
        }

        return traced;
    }

    [Theory]
    [InlineData(0.0, 1000, 0)]
    [InlineData(1.0, 1000, 1000)]
    [InlineData(0.01, 1000, 10)]
    [InlineData(0.01, 99, 0)]
    [InlineData(0.3, 10, 3)]
    [InlineData(0.5, 7, 3)]
    [InlineData(0.001, 100_000, 100)]
    [InlineData(0.07, 100_000, 7000)]
    public void Next_Ratio_TracesExactlyThatShare(double ratio, int rounds, int traced)
    {
        Assert.Equal(traced, TracedRounds(ratio, rounds).Count);
    }

    [Fact]
    public void Next_Default_EveryHundredthRound()
    {
        var traced = TracedRounds(ProbeRoundSampling.Default.Ratio, 1_000);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 100), traced); // floating-point sums of 0.01 must not slip a round
    }

    [Fact]
    public void Next_SpreadsRoundsEvenly()
    {
        var traced = TracedRounds(0.25, 20);

        Assert.Equal([4, 8, 12, 16, 20], traced);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Constructor_RatioOutOfRange_Throws(double ratio)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeRoundSampling(ratio));
    }

    [Fact]
    public void TracingOptions_DefaultRatio_IsTheEngineDefault()
    {
        Assert.Equal(ProbeRoundSampling.DefaultRatio, new TracingOptions().ProbeRoundSampleRatio);
        Assert.Equal(0.01, ProbeRoundSampling.DefaultRatio);
    }

    [Fact]
    public void FromEnvironment_Default_FollowsTheCallerAndSamplesNewTraces()
    {
        var sampler = TracingSampler.FromEnvironment(TracingEnvironment.DefaultSampler, 1.0);
        var root = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "GET", ActivityKind.Server);

        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(root).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(Child(parentSampled: true)).Decision);
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(Child(parentSampled: false)).Decision);
    }

    [Fact]
    public void FromEnvironment_TraceIdRatio_KeepsAboutThatShareOfNewTraces()
    {
        var sampler = TracingSampler.FromEnvironment("parentbased_traceidratio", 0.1);
        const int traces = 100_000;

        var kept = 0;
        for (var i = 0; i < traces; i++)
        {
            var root = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "GET", ActivityKind.Server);
            kept += sampler.ShouldSample(root).Decision == SamplingDecision.RecordAndSample ? 1 : 0;
        }

        // Binomial(100,000, 0.1): mean 10,000, σ ≈ 95; ±6σ.
        Assert.InRange(kept, 9_430, 10_570);
    }

    [Theory]
    [InlineData("always_on", typeof(AlwaysOnSampler))]
    [InlineData("always_off", typeof(AlwaysOffSampler))]
    [InlineData("traceidratio", typeof(TraceIdRatioBasedSampler))]
    [InlineData("parentbased_always_on", typeof(ParentBasedSampler))]
    [InlineData("parentbased_always_off", typeof(ParentBasedSampler))]
    [InlineData("parentbased_traceidratio", typeof(ParentBasedSampler))]
    public void FromEnvironment_EachSpecName_TheSpecSampler(string name, Type type)
    {
        Assert.IsType(type, TracingSampler.FromEnvironment(name, 0.5));
    }

    private static SamplingParameters Child(bool parentSampled)
    {
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
            parentSampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
        return new SamplingParameters(parent, parent.TraceId, "GET", ActivityKind.Server);
    }
}
