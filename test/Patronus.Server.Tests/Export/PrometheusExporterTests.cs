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
}
