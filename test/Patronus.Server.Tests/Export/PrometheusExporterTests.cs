using System.Text;
using Patronus.Prometheus;
using Patronus.Server.Export;

namespace Patronus.Server.Tests.Export;

public sealed class PrometheusExporterTests
{
    /// <summary>Writes <c>count</c> samples whose values tell their position, so a torn or shared buffer shows.</summary>
    private sealed class Counting(int count) : IMetricsProducer
    {
        public int Generation { get; set; }

        public void Collect(PrometheusTextWriter writer)
        {
            writer.Family("x", MetricType.Gauge, "x");
            for (var i = 0; i < count; i++)
            {
                writer.Sample("x", [new Label("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture))], Generation);
            }
        }
    }

    [Fact]
    public void RenderPooled_GrowsPastItsFirstBuffer_ConcurrentScrapesKeepTheirOwnBytes()
    {
        var producer = new Counting(50_000); // ~1 MB: many doublings past the first 64 KB
        var exporter = new PrometheusExporter([producer]);

        producer.Generation = 1;
        using var first = exporter.RenderPooled();
        var firstText = Encoding.UTF8.GetString(first.Bytes.Span);
        producer.Generation = 2;
        using (var second = exporter.RenderPooled())
        {
            // The first scrape is still being written to its client: the second must not reuse its buffer.
            Assert.Equal(firstText, Encoding.UTF8.GetString(first.Bytes.Span));
            Assert.Contains("x{i=\"49999\"} 2\n", Encoding.UTF8.GetString(second.Bytes.Span), StringComparison.Ordinal);
        }

        Assert.StartsWith("# HELP x x\n# TYPE x gauge\nx{i=\"0\"} 1\n", firstText, StringComparison.Ordinal);
        Assert.EndsWith("x{i=\"49999\"} 1\n", firstText, StringComparison.Ordinal);
        Assert.Equal(50_000 + 2, firstText.Count(c => c == '\n'));
    }

    [Fact]
    public void Scrape_AfterDispose_BytesAreGoneAndDisposeTwiceIsHarmless()
    {
        var exporter = new PrometheusExporter([new Counting(10)]);
        var scrape = exporter.RenderPooled();
        Assert.False(scrape.Bytes.IsEmpty);
        scrape.Dispose();
        scrape.Dispose();
        Assert.True(scrape.Bytes.IsEmpty);
        Assert.Equal(exporter.Render(), exporter.Render());
    }

    [Fact]
    public void Render_RecordsItsWallAndThreadCpuTime_ShownFromTheNextScrape()
    {
        using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(services);
        using var collector = new MeterCollector(i => ReferenceEquals(i.Meter.Scope, factory));
        using var metrics = new ExportMetrics(factory);
        var exporter = new PrometheusExporter([collector, new Counting(20_000)], metrics);

        var first = Encoding.UTF8.GetString(exporter.Render());
        var second = Encoding.UTF8.GetString(exporter.Render());

        Assert.DoesNotContain("patronus_metrics_render_duration_seconds_count 1\n", first, StringComparison.Ordinal);
        Assert.Contains("patronus_metrics_render_duration_seconds_count 1\n", second, StringComparison.Ordinal);
        var wall = Value(second, "patronus_metrics_render_duration_seconds_sum ");
        Assert.True(wall > 0, second);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("patronus_metrics_render_cpu_time_seconds_count 1\n", second, StringComparison.Ordinal);
            var cpu = Value(second, "patronus_metrics_render_cpu_time_seconds_sum ");
            // 20,000 samples cost some CPU; one thread cannot use more CPU than wall time (clock reads aside).
            Assert.InRange(cpu, 1e-7, wall + 0.001);
        }
    }

    private static double Value(string text, string prefix)
    {
        var at = text.IndexOf("\n" + prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no '{prefix}' in the scrape");
        var start = at + 1 + prefix.Length;
        return double.Parse(text.AsSpan(start, text.IndexOf('\n', start) - start), System.Globalization.CultureInfo.InvariantCulture);
    }
}
