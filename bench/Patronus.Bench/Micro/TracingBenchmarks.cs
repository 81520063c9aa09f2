using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Patronus.Engine.Telemetry;

namespace Patronus.Bench.Micro;

/// <summary>
/// What tracing costs a probe round (docs/tracing.md, "Cost"), per call of the monitor's own
/// steps: the listener check with tracing off, the engine's sampling decision, and a traced round
/// (start, the round's seven tags, stop) with a listener that records everything, as the SDK's
/// does when the round is sampled. The SDK's batching and export run on their own thread and are
/// not in these numbers.
/// </summary>
public class TracingBenchmarks
{
    private readonly ActivitySource _silent = new("Patronus.Bench.Silent");
    private readonly ActivitySource _traced = new("Patronus.Bench.Traced");
    private ActivityListener? _listener;
    private double _credit;

    [GlobalSetup]
    public void Setup()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == _traced.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    /// <summary>Tracing off: the check every round makes.</summary>
    [Benchmark]
    public bool Off() => _silent.HasListeners();

    /// <summary>Tracing on, the engine's sampling decision at the default ratio (1 in 100 rounds says yes).</summary>
    [Benchmark]
    public bool SampleDecision() => ProbeRoundSampling.Next(ref _credit, ProbeRoundSampling.DefaultRatio);

    /// <summary>A traced round: start, seven tags, stop.</summary>
    [Benchmark]
    public void TracedRound()
    {
        using var activity = _traced.StartActivity(PatronusActivitySources.ProbeRoundSpan, ActivityKind.Internal);
        activity?.SetTag(TracingAttributes.Paths, 10_000);
        activity?.SetTag(TracingAttributes.TargetsDue, 20);
        activity?.SetTag(TracingAttributes.Sent, 20);
        activity?.SetTag(TracingAttributes.Replies, 19);
        activity?.SetTag(TracingAttributes.Lost, 1);
        activity?.SetTag(TracingAttributes.PathsEvaluated, 20);
        activity?.SetTag(TracingAttributes.PathsChanged, 0);
    }
}
