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
        var producer = new EngineMetricsProducer(() => health, () => topology, () => new Dictionary<long, FailoverPolicyStatus>(), [], time.GetUtcNow(), time);

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
}
