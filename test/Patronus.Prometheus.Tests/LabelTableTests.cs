using System.Buffers;
using System.Text;

namespace Patronus.Prometheus.Tests;

public sealed class LabelTableTests
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    private string Text => Encoding.UTF8.GetString(_buffer.WrittenSpan);

    private static readonly Label[][] s_rows =
    [
        [new Label("path_id", "p1"), new Label("site", "site-a")],
        [new Label("path_id", "p\"2\\x\ny"), new Label("site", "sité")],
        [],
        [new Label("path_id", "p4"), new Label("site", "")],
    ];

    [Fact]
    public void Samples_SameBytesAsOneSamplePerRow()
    {
        // Values the fixed-point path and the round-trip fallback both see: rounding, negatives,
        // magnitudes past 10^12, NaN and infinities.
        double[] values = [12.3456789, -0.0004, double.NaN, 1e13];
        foreach (var decimals in new[] { 0, 3, 6 })
        {
            _buffer.ResetWrittenCount();
            var w = new PrometheusTextWriter(_buffer);
            w.Family("a", MetricType.Gauge, "a");
            for (var i = 0; i < s_rows.Length; i++)
            {
                w.Sample("a", LabelSet.Create(s_rows[i]), values[i], decimals);
            }

            var perSample = Text;
            _buffer.ResetWrittenCount();
            w = new PrometheusTextWriter(_buffer);
            w.Family("a", MetricType.Gauge, "a");
            w.Samples("a", Table(), values, decimals);

            Assert.Equal(perSample, Text);
        }
    }

    [Fact]
    public void Samples_RandomValuesAcrossManyChunks_SameBytesAsOneSamplePerRow()
    {
        var random = new Random(7);
        var builder = new LabelTable.Builder();
        var sets = new List<LabelSet>();
        var values = new double[20_000];
        for (var i = 0; i < values.Length; i++)
        {
            Label[] labels = [new Label("path_id", $"path-{i:D5}"), new Label("site", $"site-{i % 7}")];
            builder.Add(labels);
            sets.Add(LabelSet.Create(labels));
            values[i] = random.Next(5) switch
            {
                0 => double.PositiveInfinity,
                1 => -random.NextDouble() * 100,
                _ => random.NextDouble() * 1000,
            };
        }

        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        for (var i = 0; i < values.Length; i++)
        {
            w.Sample("a", sets[i], values[i], 3);
        }

        var perSample = Text;
        _buffer.ResetWrittenCount();
        w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        w.Samples("a", builder.Build(), values, 3);

        Assert.True(perSample.Length > 10 * 64 * 1024, $"{perSample.Length} octets"); // many 64 KB chunks
        Assert.Equal(perSample, Text);
    }

    [Fact]
    public void StateSet_SameBytesAsOneSamplePerRowAndState()
    {
        LabelSet[] states = [LabelSet.Create(new Label("status", "up")), LabelSet.Create(new Label("status", "down")), LabelSet.Empty];
        byte[] current = [0, 1, 2, 1];
        var w = new PrometheusTextWriter(_buffer);
        w.Family("s", MetricType.Gauge, "s");
        for (var i = 0; i < s_rows.Length; i++)
        {
            for (var s = 0; s < states.Length; s++)
            {
                w.Sample("s", LabelSet.Create(s_rows[i]), states[s], current[i] == s ? 1 : 0);
            }
        }

        var perSample = Text;
        _buffer.ResetWrittenCount();
        w = new PrometheusTextWriter(_buffer);
        w.Family("s", MetricType.Gauge, "s");
        w.StateSet("s", Table(), states, current);

        Assert.Equal(perSample, Text);
        Assert.Contains("s{path_id=\"p1\",site=\"site-a\",status=\"up\"} 1\n", Text, StringComparison.Ordinal);
        Assert.Contains("s{status=\"down\"} 0\n", Text, StringComparison.Ordinal); // the row without labels
        Assert.Contains("\ns 1\n", Text, StringComparison.Ordinal); // neither has labels
    }

    [Fact]
    public void Samples_WrongCountOrFamily_Throws()
    {
        var w = new PrometheusTextWriter(_buffer);
        w.Family("a", MetricType.Gauge, "a");
        Assert.Throws<ArgumentException>(() => w.Samples("a", Table(), [1.0], 3));
        Assert.Throws<InvalidOperationException>(() => w.Samples("b", Table(), new double[s_rows.Length], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Samples("a", Table(), new double[s_rows.Length], 7));
        Assert.Throws<ArgumentException>(() => w.StateSet("a", Table(), [LabelSet.Empty], [0]));
    }

    [Fact]
    public void Builder_BadLabelName_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new LabelTable.Builder().Add(new Label("__reserved", "x")));
        Assert.Contains("'__reserved'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_RowsEscapedOnce_InOrder()
    {
        var table = Table();
        Assert.Equal(4, table.Count);
        Assert.Equal("path_id=\"p1\",site=\"site-a\"", table.RowText(0));
        Assert.Equal("path_id=\"p\\\"2\\\\x\\ny\",site=\"sité\"", table.RowText(1));
        Assert.Equal(string.Empty, table.RowText(2));
        Assert.Equal("path_id=\"p4\",site=\"\"", table.RowText(3));
        Assert.Equal(0, new LabelTable.Builder().Build().Count);
    }

    private static LabelTable Table()
    {
        var builder = new LabelTable.Builder(s_rows.Length);
        foreach (var row in s_rows)
        {
            builder.Add(row);
        }

        return builder.Build();
    }
}
