using BenchmarkDotNet.Attributes;
using Patronus.Engine.Health;

namespace Patronus.Bench.Micro;

/// <summary>Scoring a path from its targets' measurements (runs once per reply that changed a path).</summary>
public class PathEvaluationBenchmarks
{
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private TargetView[] _one = [];
    private TargetView[] _three = [];
    private TargetView[] _lossy = [];

    [GlobalSetup]
    public void Setup()
    {
        _one = [new(new WindowMeasurement(1.2, 0, 0.1, 30, 0), true)];
        _three = [new(new WindowMeasurement(1.2, 0, 0.1, 30, 0), true), new(new WindowMeasurement(20, 3.3, 2, 29, 1), true), new(new WindowMeasurement(5, 0, 0.5, 30, 0), true)];
        _lossy = [new(new WindowMeasurement(210, 12.5, 40, 26, 4), true)];
    }

    [Benchmark(Baseline = true)]
    public PathHealthSnapshot OneTargetHealthy() => PathEvaluation.Evaluate("p00001", _one, 1, HealthThresholds.Default, _now);

    [Benchmark]
    public PathHealthSnapshot ThreeTargetsQuorum2() => PathEvaluation.Evaluate("p00001", _three, 2, HealthThresholds.Default, _now);

    /// <summary>Over every threshold: Explain formats the reason string.</summary>
    [Benchmark]
    public PathHealthSnapshot OneTargetOverThresholds() => PathEvaluation.Evaluate("p00001", _lossy, 1, HealthThresholds.Default, _now);
}
