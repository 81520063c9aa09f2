using System.Buffers;
using System.Text;
using Patronus.TestSupport;

namespace Patronus.Prometheus.Tests;

public sealed class PrometheusTextWriterTests
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    private string Text => Encoding.UTF8.GetString(_buffer.WrittenSpan);

    [Fact]
    public void Gauge_HelpTypeAndSamples_ExactText()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("patronus_path_latency_ms", MetricType.Gauge, "Path latency in milliseconds");
        w.Sample("patronus_path_latency_ms", [new Label("path_id", "path-1"), new Label("site", "site-a")], 45.2);
        w.Sample("patronus_path_latency_ms", [new Label("path_id", "path-2"), new Label("site", "site-a")], 0);
        Assert.Equal(
            "# HELP patronus_path_latency_ms Path latency in milliseconds\n" +
            "# TYPE patronus_path_latency_ms gauge\n" +
            "patronus_path_latency_ms{path_id=\"path-1\",site=\"site-a\"} 45.2\n" +
            "patronus_path_latency_ms{path_id=\"path-2\",site=\"site-a\"} 0\n", Text);
    }

    [Fact]
    public void LabelSet_SameTextAsLabelsWrittenPerSample_EscapedOnce()
    {
        Label[] path = [new Label("path_id", "p\"1\\x\ny"), new Label("site", "sité")];
        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        w.Sample("a", path, 1.5);
        w.Sample("a", [.. path, new Label("status", "up")], 1L);
        w.Sample("a", [], 2.0);
        var perSample = Text;

        _buffer.ResetWrittenCount();
        var set = LabelSet.Create(path);
        w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        w.Sample("a", set, 1.5);
        w.Sample("a", set, LabelSet.Create(new Label("status", "up")), 1L);
        w.Sample("a", LabelSet.Empty, 2.0);

        Assert.Equal(perSample, Text);
        Assert.Contains("a{path_id=\"p\\\"1\\\\x\\ny\",site=\"sité\",status=\"up\"} 1\n", Text);
    }

    [Theory]
    [InlineData(12.3456789, 3, "12.346")]
    [InlineData(2.5, 0, "3")] // half away from zero
    [InlineData(0.5, 3, "0.5")]
    [InlineData(100.0, 3, "100")]
    [InlineData(0.0, 3, "0")]
    [InlineData(0.0004, 3, "0")]
    [InlineData(-0.0004, 3, "0")] // never "-0"
    [InlineData(-2.25, 1, "-2.3")]
    [InlineData(-0.05, 2, "-0.05")]
    [InlineData(7.000001, 6, "7.000001")]
    [InlineData(1.999, 0, "2")]
    [InlineData(1e-7, 6, "0")]
    [InlineData(999_999_999_999.4, 0, "999999999999")]
    [InlineData(1e12, 3, "1000000000000")] // beyond the fixed range: shortest round-trip
    [InlineData(123456789012345.6, 3, "123456789012345.6")]
    [InlineData(double.NaN, 3, "NaN")]
    [InlineData(double.PositiveInfinity, 3, "+Inf")]
    [InlineData(double.NegativeInfinity, 3, "-Inf")]
    public void FixedDecimals_RoundedPlainDecimal(double value, int decimals, string expected)
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        w.Sample("a", LabelSet.Create(new Label("path_id", "p")), value, decimals);
        Assert.EndsWith($"a{{path_id=\"p\"}} {expected}\n", Text, StringComparison.Ordinal);
        var parsed = double.Parse(expected.Replace("+Inf", "Infinity", StringComparison.Ordinal).Replace("-Inf", "-Infinity", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        if (double.IsFinite(value))
        {
            Assert.True(Math.Abs(parsed - value) <= 0.5 * Math.Pow(10, -decimals) + 1e-12, $"{expected} is not {value} to {decimals} places");
        }
    }

    [Fact]
    public void FixedDecimals_OutOfRange_Throws()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Sample("a", LabelSet.Empty, 1.0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Sample("a", LabelSet.Empty, 1.0, PrometheusTextWriter.MaxFixedDecimals + 1));
    }

    [Fact]
    public void LabelSet_BadLabelNameOrForeignSample_Throws()
    {
        Assert.Throws<ArgumentException>(() => LabelSet.Create(new Label("__reserved", "x")));
        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        Assert.Throws<InvalidOperationException>(() => w.Sample("b", LabelSet.Empty, 1.0));
    }

    [Fact]
    public void Counter_IntegerValueExactBeyondDoublePrecision()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("patronus_policy_bytes_total", MetricType.Counter, "Total bytes matched by policy");
        w.Sample("patronus_policy_bytes_total", [new Label("policy_id", "1"), new Label("name", "web-traffic")], 9_007_199_254_740_993L);
        Assert.Equal(
            "# HELP patronus_policy_bytes_total Total bytes matched by policy\n" +
            "# TYPE patronus_policy_bytes_total counter\n" +
            "patronus_policy_bytes_total{policy_id=\"1\",name=\"web-traffic\"} 9007199254740993\n", Text);
    }

    [Fact]
    public void Histogram_CumulativeBucketsSumCount()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("x_seconds", MetricType.Histogram, "A duration");
        w.Histogram([new Label("route", "/a")], [0.1, 1], [2, 3, 1], 4.5);
        Assert.Equal(
            "# HELP x_seconds A duration\n" +
            "# TYPE x_seconds histogram\n" +
            "x_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n" +
            "x_seconds_bucket{route=\"/a\",le=\"1\"} 5\n" +
            "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 6\n" +
            "x_seconds_sum{route=\"/a\"} 4.5\n" +
            "x_seconds_count{route=\"/a\"} 6\n", Text);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("quote\"d", "quote\\\"d")]
    [InlineData("line\nfeed", "line\\nfeed")]
    [InlineData("tab\tand ünïcødé", "tab\tand ünïcødé")]
    [InlineData("", "")]
    public void LabelValue_Escaped(string value, string expected)
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "h");
        w.Sample("m", [new Label("l", value)], 1);
        Assert.Equal($"m{{l=\"{expected}\"}} 1", Text.Split('\n')[2]);

        // And the independent reader gets the original back.
        Assert.Equal(value, PrometheusText.ParseSample(Text.Split('\n')[2]).Label("l"));
    }

    [Fact]
    public void Help_EscapesBackslashAndNewline_NotQuotes()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "a \"quoted\" \\ and\nnext");
        Assert.StartsWith("# HELP m a \"quoted\" \\\\ and\\nnext\n# TYPE m gauge\n", Text);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(-3.5, "-3.5")]
    [InlineData(123456789012.0, "123456789012")]
    public void Values_RoundTripFormatting(double value, string expected)
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "h");
        w.Sample("m", value);
        Assert.EndsWith($"m {expected}\n", Text);
        var parsed = PrometheusText.ParseSample($"m {expected}").Value;
        Assert.True(parsed.Equals(value), $"{expected} read back as {parsed}");
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("a.b")]
    [InlineData("")]
    public void InvalidMetricName_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => new PrometheusTextWriter(_buffer).Family(name, MetricType.Gauge, "h"));

    [Theory]
    [InlineData("__reserved")]
    [InlineData("a:b")]
    [InlineData("1a")]
    [InlineData("a-b")]
    public void InvalidLabelName_Throws(string name)
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "h");
        Assert.Throws<ArgumentException>(() => w.Sample("m", [new Label(name, "v")], 1));
    }

    [Fact]
    public void SameFamilyTwice_Throws()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "h");
        Assert.Throws<InvalidOperationException>(() => w.Family("m", MetricType.Counter, "h"));
    }

    [Theory]
    [InlineData("other")]
    [InlineData("m_bucket")] // only histograms have buckets
    public void SampleOutsideCurrentFamily_Throws(string name)
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("m", MetricType.Gauge, "h");
        Assert.Throws<InvalidOperationException>(() => w.Sample(name, 1));
    }

    [Theory]
    [InlineData("patronus.probe.sent", "{probe}", true, "patronus_probe_sent_total", 1.0)]
    [InlineData("patronus.failover.decision.duration", "ms", false, "patronus_failover_decision_duration_seconds", 1e-3)]
    [InlineData("patronus.http.request.duration", "s", false, "patronus_http_request_duration_seconds", 1.0)]
    [InlineData("x.latency_seconds", "s", false, "x_latency_seconds", 1.0)]
    [InlineData("x.size", "By", false, "x_size_bytes", 1.0)]
    [InlineData("x.requests_total", null, true, "x_requests_total", 1.0)]
    [InlineData("x.wait", "us", true, "x_wait_seconds_total", 1e-6)]
    [InlineData("x-y/z", "1", false, "x_y_z", 1.0)]
    public void InstrumentNames_BecomePrometheusNames(string instrument, string? unit, bool counter, string expected, double scale)
    {
        var (name, factor) = PrometheusNames.FromInstrument(instrument, unit, counter);
        Assert.Equal(expected, name);
        Assert.Equal(scale, factor);
        Assert.True(PrometheusTextWriter.IsValidMetricName(name));
    }

    [Theory]
    [InlineData("http.route", "http_route")]
    [InlineData("__x", "_x")]
    [InlineData("9lives", "_9lives")]
    [InlineData("ok_name", "ok_name")]
    public void TagKeys_BecomeLabelNames(string key, string expected) => Assert.Equal(expected, PrometheusNames.LabelName(key));
}
