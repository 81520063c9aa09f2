using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Traffic;
using Patronus.Persistence;
using Patronus.Prometheus;
using Patronus.Server.Export;

namespace Patronus.Bench.Micro;

/// <summary>
/// The SPEC's export bars with the real producers: a full Prometheus scrape with 10,000 paths
/// (bar &lt; 50 ms) and the JSON export of 1,000 paths (bar &lt; 20 ms). The scrape includes the
/// engine instruments (probe, BFD, failover, store, HTTP counters and histograms with series) and
/// the process families, as <c>/metrics</c> serves them.
/// </summary>
public class ExportBenchmarks
{
    private const int ScrapePaths = 10_000;
    private const int JsonPaths = 1_000;
    private const int Policies = 100;

    private readonly List<IDisposable> _disposables = [];
    private PrometheusExporter _exporter = null!;
    private List<PathHealthSnapshot> _jsonPaths = [];
    private TopologySnapshot _topology = TopologySnapshot.Empty;
    private List<FailoverPolicy> _policies = [];
    private IReadOnlyDictionary<long, FailoverPolicyStatus> _statuses = new Dictionary<long, FailoverPolicyStatus>();
    private List<FailoverEventRecord> _events = [];
    private TrafficSnapshot _traffic = TrafficSnapshot.Empty;
    private readonly ArrayBufferWriter<byte> _json = new(1 << 20);

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, ScrapePaths).Select(i => $"path-{i:D5}").ToArray();
        var sites = Enumerable.Range(0, 4).Select(i => new Site($"site-{i}", $"site {i}", null, ItemSource.Config)).ToList();
        var links = Enumerable.Range(0, 4).Select(i => new WanLink($"wan{i}", $"site-{i}", $"wan{i}", null, $"127.0.0.{i + 1}", null, 10, ItemSource.Config)).ToList();
        var paths = ids.Select((id, i) => new PathDefinition(id, id, $"wan{i % 4}", null, ["127.1.0.1:862"], ItemSource.Config, ProbeProtocol.Stamp, 1)).ToList();
        _topology = new TopologySnapshot(sites, links, paths);

        var health = new HealthState();
        // Measured values are arbitrary doubles (17 significant digits), not round test numbers:
        // formatting them is most of a scrape.
        var random = new Random(42);
        health.SetPaths(ids.Select(id => new PathHealthSnapshot(id, 5 + random.NextDouble() * 40, random.NextDouble() * 2, random.NextDouble() * 3,
            90 + random.NextDouble() * 10, PathStatus.Up, now, 1, 1, 1, "within thresholds")));
        _jsonPaths = health.All.Take(JsonPaths).ToList();

        _policies = Enumerable.Range(1, Policies).Select(i => new FailoverPolicy(i, $"policy-{i}", ids[i], [ids[i + 1]], 50, 80, TimeSpan.FromSeconds(60), true,
            [System.Net.IPNetwork.Parse($"10.{i}.0.0/16")], ItemSource.Api)).ToList();
        _statuses = _policies.ToDictionary(p => p.Id, p => new FailoverPolicyStatus(p.Id, p.Name, p.PrimaryPathId, true, FailoverPolicyState.Initial(p), null, null, null));
        _events = Enumerable.Range(1, 100).Select(i => new FailoverEventRecord(
            new FailoverEvent(i % Policies + 1, FailoverEventType.FailoverTriggered, ids[i], ids[i + 1], "score 12 < 50", now), null, i)).ToList();

        _traffic = new TrafficSnapshot(now,
            _policies.ToDictionary(p => p.Id, p => new PolicyTraffic(p.Id, p.Name, 123_456_789, 98_765, 42, null)),
            ids.Take(JsonPaths).ToDictionary(id => id, id => new PathTraffic(id, "wan0", 987_654_321, 123_456, "oifname \"wan0\"", [], null, null, TrafficSnapshot.PathFlowsUnavailable)),
            now);

        // The engine's instruments, each with series, recorded the way the engine records them.
        var collector = new MeterCollector(i => i.Meter.Name.StartsWith("Patronus.", StringComparison.Ordinal));
        var probes = new ProbeMetrics();
        var bfd = new BfdMetrics();
        var failover = new FailoverMetrics();
        var store = new StoreMetrics();
        using var meter = new Meter("Patronus.Http");
        var http = meter.CreateHistogram<double>("patronus.http.request.duration", "s");
        _disposables.AddRange([collector, probes, bfd, failover, store]);
        for (var i = 0; i < 1_000; i++)
        {
            probes.Sent("stamp");
            probes.Reply("stamp");
            bfd.Sent();
            bfd.Received();
            failover.Decided(TimeSpan.FromMicroseconds(40));
            failover.Event(_events[i % _events.Count].Event);
            http.Record(0.002, new KeyValuePair<string, object?>("method", "GET"), new("route", $"/api/v1/r{i % 20}"), new("status", "200"));
        }

        _exporter = new PrometheusExporter(
        [
            collector,
            new EngineMetricsProducer(() => health.Table, () => _topology, () => _statuses, Array.Empty<IEngineLoop>(), now, TimeProvider.System),
            new TrafficMetricsProducer(new FixedTraffic(_traffic)),
            new ProcessMetricsProducer(),
        ]);
        Console.WriteLine($"scrape: {_exporter.Render().Length:N0} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
    }

    /// <summary>Everything /metrics writes, 10,000 paths (bar: under 50 ms).</summary>
    [Benchmark]
    public int Scrape10kPaths() => _exporter.Render(m => m.Length);

    /// <summary>The JSON export of 1,000 paths, 100 policies, 100 failover events (bar: under 20 ms).</summary>
    [Benchmark]
    public int JsonExport1kPaths()
    {
        _json.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_json))
        {
            MetricsEndpoints.WriteExport(writer, _jsonPaths, _topology, _policies, _statuses, _events, _traffic, null, DateTimeOffset.UtcNow);
        }

        return _json.WrittenCount;
    }
}

/// <summary>A traffic source that always shows one snapshot.</summary>
internal sealed class FixedTraffic(TrafficSnapshot snapshot) : ITrafficSource
{
    public TrafficSnapshot Current => snapshot;

    public string? Unavailable => null;
}
