using BenchmarkDotNet.Attributes;
using Patronus.Engine.Health;

namespace Patronus.Bench.Micro;

/// <summary>Reading current health with 10,000 paths: one path by id, and all of them (what an API or exporter does).</summary>
public class HealthStateBenchmarks
{
    private const int Paths = 10_000;
    private readonly HealthState _state = new();
    private string[] _ids = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        _ids = Enumerable.Range(0, Paths).Select(i => $"p{i:D5}").ToArray();
        _state.SetPaths(_ids.Select(id => new PathHealthSnapshot(id, 1.5, 0, 0.2, 100, PathStatus.Up, now, 1, 1, 1, "within thresholds")));
    }

    [Benchmark]
    public PathHealthSnapshot? Get() => _state.Get(_ids[_next++ % Paths]);

    [Benchmark]
    public int All() => _state.All.Count;

    /// <summary>All, then touching every snapshot (a scrape or JSON export's read side).</summary>
    [Benchmark]
    public double AllAndSum()
    {
        var sum = 0.0;
        foreach (var s in _state.All)
        {
            sum += s.HealthScore;
        }

        return sum;
    }

    /// <summary>The monitor's write side: swapping one path's snapshot (no subscribers).</summary>
    [Benchmark]
    public void Publish() => _state.Publish(new PathHealthSnapshot(_ids[_next++ % Paths], 1.5, 0, 0.2, 100, PathStatus.Up, null, 1, 1, 1, "within thresholds"));
}
