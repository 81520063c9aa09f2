using System.Buffers;
using System.Globalization;
using System.Text;

namespace Patronus.Prometheus;

/// <summary>The metric types of the text format's <c># TYPE</c> line.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
    Untyped,
}

/// <summary>One label of a sample: a name (validated) and any string value (escaped on write).</summary>
public readonly record struct Label(string Name, string Value);

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4 as UTF-8 into an <see cref="IBufferWriter{T}"/>:
/// a family header (<c># HELP</c>, <c># TYPE</c>) followed by its samples. Rules the format sets
/// and this writer enforces:
/// <list type="bullet">
/// <item>metric names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c> and label names
/// <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not starting with <c>__</c> (reserved); a bad name throws —
/// names are chosen by code, so a bad one is a bug to find in tests, not data to tolerate;</item>
/// <item>HELP text escapes <c>\</c> and line feed; label values escape <c>\</c>, <c>"</c> and line
/// feed; any other character (UTF-8) is written as is;</item>
/// <item>a family appears once (a second header with the same name throws), and every sample name
/// belongs to the current family (the name itself, or for histograms <c>_bucket</c>, <c>_sum</c>,
/// <c>_count</c>);</item>
/// <item>values: shortest round-trip decimal, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</item>
/// </list>
/// Duplicate series (same name and labels twice) are the caller's to avoid: the format forbids
/// them, promtool does not notice them, and finding them costs a set per scrape — the tests check
/// every family the server writes instead.
/// </summary>
public sealed partial class PrometheusTextWriter
{
    /// <summary>The content type of this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly IBufferWriter<byte> _output;
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private string? _family;
    private byte[] _familyUtf8 = [];
    private MetricType _type;

    public PrometheusTextWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Families written so far.</summary>
    public IReadOnlyCollection<string> Families => _families;

    /// <summary>Whether a family named <paramref name="name"/> was already written (two producers must not both write one).</summary>
    public bool HasFamily(string name) => _families.Contains(name);

    /// <summary>Starts family <paramref name="name"/>: writes its HELP and TYPE lines.</summary>
    public void Family(string name, MetricType type, string help)
    {
        ArgumentNullException.ThrowIfNull(help);
        if (!IsValidMetricName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid Prometheus metric name", nameof(name));
        }

        if (!_families.Add(name))
        {
            throw new InvalidOperationException($"metric family '{name}' was already written in this exposition");
        }

        _family = name;
        _familyUtf8 = Encoding.ASCII.GetBytes(name);
        _type = type;
        Ascii("# HELP ");
        Ascii(name);
        Ascii(" ");
        Escaped(help, quote: false);
        Ascii("\n# TYPE ");
        Ascii(name);
        Ascii(type switch
        {
            MetricType.Counter => " counter\n",
            MetricType.Gauge => " gauge\n",
            MetricType.Histogram => " histogram\n",
            _ => " untyped\n",
        });
    }

    /// <summary>Writes a sample of the current family without labels.</summary>
    public void Sample(string name, double value) => Sample(name, [], value);

    /// <summary>Writes a sample of the current family.</summary>
    public void Sample(string name, ReadOnlySpan<Label> labels, double value)
    {
        StartSample(name, labels);
        Value(value);
        Ascii("\n");
    }

    /// <summary>
    /// Writes a sample of the current family whose labels were validated and escaped once
    /// (<see cref="LabelSet"/>): the way to write thousands of series of one set of labels, e.g.
    /// one per path, where each sample is then a copy and a number.
    /// </summary>
    public void Sample(string name, LabelSet labels, double value)
    {
        ArgumentNullException.ThrowIfNull(labels);
        StartSample(name, labels, null);
        Value(value);
        Ascii("\n");
    }

    /// <summary>
    /// Writes a sample rounded to <paramref name="decimals"/> places (0–6, half away from zero) in
    /// plain decimal notation without trailing zeros: <c>12.346</c>, <c>0.5</c>, <c>3</c>. For gauges
    /// whose useful precision is known — path latency in milliseconds to the microsecond, as the
    /// JSON API rounds it — at 10,000 paths the shortest round-trip form of arbitrary doubles is
    /// most of a scrape's render time (7 ms for 50,000 values on the reference box, this 0.4 ms).
    /// Magnitudes beyond 10^12, NaN and infinities are written as by <see cref="Sample(string, LabelSet, double)"/>.
    /// </summary>
    public void Sample(string name, LabelSet labels, double value, int decimals)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, MaxFixedDecimals);
        StartSample(name, labels, null);
        var span = _output.GetSpan(MaxNumberLength);
        _output.Advance(FormatRounded(span, value, decimals));
        Ascii("\n");
    }

    /// <summary>Most decimals <see cref="Sample(string, LabelSet, double, int)"/> writes.</summary>
    public const int MaxFixedDecimals = 6;

    /// <summary>An integer sample with <paramref name="labels"/> followed by <paramref name="more"/> (e.g. a path's labels, then a state).</summary>
    public void Sample(string name, LabelSet labels, LabelSet more, long value)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(more);
        StartSample(name, labels, more);
        var span = _output.GetSpan(21);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        _output.Advance(written);
        Ascii("\n");
    }

    /// <summary>Writes an integer sample of the current family (exact beyond 2^53, unlike a double).</summary>
    public void Sample(string name, ReadOnlySpan<Label> labels, long value)
    {
        StartSample(name, labels);
        var span = _output.GetSpan(21);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        _output.Advance(written);
        Ascii("\n");
    }

    /// <summary>
    /// Writes a whole histogram's samples: cumulative <c>_bucket</c> lines for each upper bound and
    /// <c>+Inf</c>, then <c>_sum</c> and <c>_count</c>. <paramref name="bucketCounts"/> holds the
    /// non-cumulative count of each bucket, one more than <paramref name="bounds"/> (the last is
    /// the overflow above the highest bound).
    /// </summary>
    public void Histogram(ReadOnlySpan<Label> labels, ReadOnlySpan<double> bounds, ReadOnlySpan<long> bucketCounts, double sum)
    {
        if (_type != MetricType.Histogram || _family is null)
        {
            throw new InvalidOperationException("Histogram samples need a histogram family first");
        }

        if (bucketCounts.Length != bounds.Length + 1)
        {
            throw new ArgumentException($"{bounds.Length} bounds need {bounds.Length + 1} bucket counts, got {bucketCounts.Length}", nameof(bucketCounts));
        }

        var bucket = _family + "_bucket";
        var withLe = new Label[labels.Length + 1];
        labels.CopyTo(withLe);
        long cumulative = 0;
        for (var i = 0; i <= bounds.Length; i++)
        {
            cumulative += bucketCounts[i];
            withLe[^1] = new Label("le", i < bounds.Length ? Format(bounds[i]) : "+Inf");
            Sample(bucket, withLe, cumulative);
        }

        Sample(_family + "_sum", labels, sum);
        Sample(_family + "_count", labels, cumulative);
    }

    /// <summary>True for a valid metric name: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string? name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for a valid label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not reserved (<c>__</c> prefix).</summary>
    public static bool IsValidLabelName(string? name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]) || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A value as the format writes it: shortest round-trip decimal, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private void StartSample(string name, ReadOnlySpan<Label> labels)
    {
        if (_family is null || !BelongsToFamily(name))
        {
            throw new InvalidOperationException($"sample '{name}' does not belong to the current family '{_family}'");
        }

        Ascii(name);
        if (labels.Length > 0)
        {
            Ascii("{");
            LabelBody(labels, name);
            Ascii("}");
        }

        Ascii(" ");
    }

    private void StartSample(string name, LabelSet labels, LabelSet? more)
    {
        if (_family is null || !BelongsToFamily(name))
        {
            throw new InvalidOperationException($"sample '{name}' does not belong to the current family '{_family}'");
        }

        if (ReferenceEquals(name, _family) || name.Length == _familyUtf8.Length)
        {
            Bytes(_familyUtf8); // the family's own name (BelongsToFamily checked it), already in UTF-8
        }
        else
        {
            Ascii(name);
        }

        var first = labels.Body;
        var second = more is null ? default : more.Body;
        if (first.Length + second.Length > 0)
        {
            Ascii("{");
            Bytes(first);
            if (first.Length > 0 && second.Length > 0)
            {
                Ascii(",");
            }

            Bytes(second);
            Ascii("}");
        }

        Ascii(" ");
    }

    /// <summary><c>a="x",b="y"</c>: each name validated, each value escaped.</summary>
    private void LabelBody(ReadOnlySpan<Label> labels, string context)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (!IsValidLabelName(label.Name))
            {
                throw new ArgumentException($"'{label.Name}' is not a valid Prometheus label name (on {context})", nameof(labels));
            }

            if (i > 0)
            {
                Ascii(",");
            }

            Ascii(label.Name);
            Ascii("=\"");
            Escaped(label.Value ?? string.Empty, quote: true);
            Ascii("\"");
        }
    }

    /// <summary>The label body of <paramref name="labels"/> as UTF-8 (for <see cref="LabelSet"/>).</summary>
    internal static byte[] RenderLabelBody(ReadOnlySpan<Label> labels)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        new PrometheusTextWriter(buffer).LabelBody(labels, "a label set");
        return buffer.WrittenSpan.ToArray();
    }

    private void Bytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    private bool BelongsToFamily(string name)
    {
        if (name.Length == _family!.Length)
        {
            return string.Equals(name, _family, StringComparison.Ordinal);
        }

        if (_type != MetricType.Histogram || !name.StartsWith(_family, StringComparison.Ordinal))
        {
            return false;
        }

        var suffix = name.AsSpan(_family.Length);
        return suffix is "_bucket" or "_sum" or "_count";
    }

    private void Value(double value)
    {
        var span = _output.GetSpan(MaxNumberLength);
        _output.Advance(FormatValue(span, value));
    }

    /// <summary>Longest number either formatter writes ("R" of a double: 24 characters at most).</summary>
    private const int MaxNumberLength = 32;

    /// <summary><paramref name="value"/> as the format writes it: shortest round trip, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</summary>
    private static int FormatValue(Span<byte> span, double value)
    {
        if (double.IsNaN(value))
        {
            "NaN"u8.CopyTo(span);
            return 3;
        }

        if (double.IsInfinity(value))
        {
            (value > 0 ? "+Inf"u8 : "-Inf"u8).CopyTo(span);
            return 4;
        }

        value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>As <see cref="Sample(string, LabelSet, double, int)"/> writes a value: fixed point where finite and below 10^12.</summary>
    private static int FormatRounded(Span<byte> span, double value, int decimals) =>
        !double.IsFinite(value) || Math.Abs(value) >= 1e12 ? FormatValue(span, value) : FormatFixed(span, value, decimals);

    private static readonly long[] s_powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    /// <summary><paramref name="value"/> (finite, |value| &lt; 10^12) to <paramref name="decimals"/> places, trailing zeros dropped.</summary>
    private static int FormatFixed(Span<byte> span, double value, int decimals)
    {
        var scale = s_powers[decimals];
        var scaled = (long)Math.Round(Math.Abs(value) * scale, MidpointRounding.AwayFromZero);
        var at = 0;
        if (value < 0 && scaled != 0)
        {
            span[at++] = (byte)'-';
        }

        var whole = scaled / scale;
        var fraction = scaled % scale;
        whole.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture);
        at += written;
        if (fraction != 0)
        {
            var digits = decimals;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            span[at++] = (byte)'.';
            for (var i = digits - 1; i >= 0; i--)
            {
                span[at + i] = (byte)('0' + (fraction % 10));
                fraction /= 10;
            }

            at += digits;
        }

        return at;
    }

    // Names, keywords and formatted numbers: ASCII by construction.
    private void Ascii(string text)
    {
        var span = _output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        _output.Advance(text.Length);
    }

    private void Escaped(string text, bool quote)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var escape = text[i] switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '"' when quote => "\\\"",
                _ => null,
            };
            if (escape is null)
            {
                continue;
            }

            Utf8(text.AsSpan(start, i - start));
            Ascii(escape);
            start = i + 1;
        }

        Utf8(text.AsSpan(start));
    }

    private void Utf8(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        _output.Advance(written);
    }
}

/// <summary>
/// Labels validated and escaped once, written by <see cref="PrometheusTextWriter"/> with a copy:
/// for series written on every scrape with the same labels (one per path). Immutable; keep one
/// as long as its labels do not change.
/// </summary>
public sealed class LabelSet
{
    private readonly byte[] _body;

    private LabelSet(byte[] body)
    {
        _body = body;
    }

    /// <summary>No labels.</summary>
    public static LabelSet Empty { get; } = new([]);

    internal ReadOnlySpan<byte> Body => _body;

    /// <summary>Validates and escapes <paramref name="labels"/> (a bad label name throws, as on any sample).</summary>
    public static LabelSet Create(params ReadOnlySpan<Label> labels) => labels.IsEmpty ? Empty : new(PrometheusTextWriter.RenderLabelBody(labels));
}
