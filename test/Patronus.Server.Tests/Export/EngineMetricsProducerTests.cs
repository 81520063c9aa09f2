using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Prometheus;
using Patronus.Server.Export;

namespace Patronus.Server.Tests.Export;

public sealed class EngineMetricsProducerTests
{
    [Fact]
    public void PathGauges_RoundedToTheJsonApisPlaces_StatusAsStateSet()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var topology = new TopologySnapshot(
            [new Site("site-a", "site a", null, ItemSource.Config)],
            [new WanLink("wan0", "site-a", "wan0", null, "127.0.0.1", null, 10, ItemSource.Config)],
            [new PathDefinition("p1", "p1", "wan0", null, ["127.0.0.2:862"], ItemSource.Config, ProbeProtocol.Stamp, 1)]);
        PathHealthSnapshot[] health = [new PathHealthSnapshot("p1", 12.3456789, 0.00049, 1.0000001, 97.5, PathStatus.Degraded, time.GetUtcNow(), 1, 1, 1, "jitter")];
        var producer = new EngineMetricsProducer(() => new PathHealthTable(health), () => topology, () => new Dictionary<long, FailoverPolicyStatus>(), [], time.GetUtcNow(), time);

        var buffer = new ArrayBufferWriter<byte>();
        producer.Collect(new PrometheusTextWriter(buffer));
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);

        Assert.Contains("patronus_path_latency_ms{path_id=\"p1\",site=\"site-a\"} 12.346\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_packet_loss{path_id=\"p1\",site=\"site-a\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_jitter_ms{path_id=\"p1\",site=\"site-a\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_health_score{path_id=\"p1\",site=\"site-a\"} 97.5\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_status{path_id=\"p1\",site=\"site-a\",status=\"degraded\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_status{path_id=\"p1\",site=\"site-a\",status=\"up\"} 0\n", text, StringComparison.Ordinal);
    }

    private static readonly FakeTimeProvider s_time = new(DateTimeOffset.Parse("2026-12-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static TopologySnapshot Topology(string site, params string[] paths) => new(
        [new Site(site, site, null, ItemSource.Config)],
        [new WanLink("wan0", site, "wan0", null, "127.0.0.1", null, 10, ItemSource.Config)],
        [.. paths.Select(id => new PathDefinition(id, id, "wan0", null, ["127.0.0.2:862"], ItemSource.Config, ProbeProtocol.Stamp, 1))]);

    private static string Scrape(EngineMetricsProducer producer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        producer.Collect(new PrometheusTextWriter(buffer));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void PathLabels_ChangeOfPaths_RebuiltOnce_OldSeriesGone()
    {
        var topology = Topology("site-a", "p1", "p2");
        var health = new PathHealthTable([PathHealthSnapshot.Unknown("p1", 1, 1), new PathHealthSnapshot("p2", 4.5, 0, 0, 100, PathStatus.Up, s_time.GetUtcNow(), 1, 1, 1, "ok")]);
        var producer = new EngineMetricsProducer(() => health, () => topology, () => new Dictionary<long, FailoverPolicyStatus>(), [], s_time.GetUtcNow(), s_time);

        Scrape(producer);
        var text = Scrape(producer);
        Assert.Equal(1, producer.LabelBuilds); // not per scrape
        Assert.Contains("patronus_path_latency_ms{path_id=\"p2\",site=\"site-a\"} 4.5\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_status{path_id=\"p2\",site=\"site-a\",status=\"up\"} 1\n", text, StringComparison.Ordinal);

        // p1 leaves, p3 comes: the next scrape has p3's labels and none of p1's.
        topology = Topology("site-a", "p2", "p3");
        health = new PathHealthTable([health.Snapshot(1), PathHealthSnapshot.Unknown("p3", 1, 1)]);
        text = Scrape(producer);
        Assert.Equal(2, producer.LabelBuilds);
        Assert.DoesNotContain("\"p1\"", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_jitter_ms{path_id=\"p3\",site=\"site-a\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_latency_ms{path_id=\"p2\",site=\"site-a\"} 4.5\n", text, StringComparison.Ordinal); // kept

        // Same paths, another site (a topology change alone): labels follow.
        topology = Topology("site-b", "p2", "p3");
        text = Scrape(producer);
        Assert.Equal(3, producer.LabelBuilds);
        Assert.DoesNotContain("site-a", text, StringComparison.Ordinal);
        Assert.Contains("patronus_path_health_score{path_id=\"p3\",site=\"site-b\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void PathFamilies_SameBytesAsOneSamplePerPath()
    {
        var random = new Random(3);
        var ids = Enumerable.Range(0, 500).Select(i => $"path-{i}").ToArray();
        var topology = Topology("site-a", ids[..400]); // the last 100 paths have no site (not in this topology)
        var snapshots = ids.Select((id, i) => new PathHealthSnapshot(id, random.NextDouble() * 100, random.NextDouble() * 5, random.NextDouble() * 3,
            random.NextDouble() * 100, (PathStatus)(i % 3), s_time.GetUtcNow(), 1, 1, 1, "x")).ToArray();
        var producer = new EngineMetricsProducer(() => new PathHealthTable(snapshots), () => topology, () => new Dictionary<long, FailoverPolicyStatus>(), [], s_time.GetUtcNow(), s_time);

        // The per-sample rendering the producer used before the label table (PrometheusTextWriter's
        // own per-sample methods, one LabelSet per path).
        var buffer = new ArrayBufferWriter<byte>();
        var w = new PrometheusTextWriter(buffer);
        var sets = snapshots.Select(s => LabelSet.Create(new Label("path_id", s.PathId), new Label("site", topology.PathsById.ContainsKey(s.PathId) ? "site-a" : ""))).ToArray();
        (string Name, string Help, Func<PathHealthSnapshot, double> Value)[] gauges =
        [
            ("patronus_path_latency_ms", "Path latency (mean RTT over the measurement window) in milliseconds", h => h.LatencyMs),
            ("patronus_path_packet_loss", "Path packet loss percentage (0-100) over the measurement window", h => h.PacketLossPct),
            ("patronus_path_jitter_ms", "Path jitter (mean absolute difference of consecutive RTTs) in milliseconds", h => h.JitterMs),
            ("patronus_path_health_score", "Path health score (0-100)", h => h.HealthScore),
        ];
        foreach (var (name, help, value) in gauges)
        {
            w.Family(name, MetricType.Gauge, help);
            for (var i = 0; i < snapshots.Length; i++)
            {
                w.Sample(name, sets[i], value(snapshots[i]), EngineMetricsProducer.PathDecimals);
            }
        }

        w.Family("patronus_path_status", MetricType.Gauge, "Path status as a state set: 1 for the current status (up, degraded, down), 0 for the others");
        string[] states = ["up", "degraded", "down"];
        for (var i = 0; i < snapshots.Length; i++)
        {
            foreach (var state in states)
            {
                w.Sample("patronus_path_status", sets[i], LabelSet.Create(new Label("status", state)), Patronus.Server.Api.PathHealthEndpoints.StatusText(snapshots[i].Status) == state ? 1 : 0);
            }
        }

        var expected = Encoding.UTF8.GetString(buffer.WrittenSpan);
        var text = Scrape(producer);
        Assert.StartsWith(expected, text, StringComparison.Ordinal);
        Assert.Contains("# HELP patronus_sites ", text[expected.Length..], StringComparison.Ordinal);
    }
}
