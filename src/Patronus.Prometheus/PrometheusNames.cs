using System.Text;

namespace Patronus.Prometheus;

/// <summary>
/// How an OpenTelemetry-style instrument (<c>patronus.failover.decision.duration</c>, unit <c>ms</c>)
/// becomes a Prometheus family (<c>patronus_failover_decision_duration_seconds</c>), following the
/// OpenTelemetry → Prometheus compatibility rules where they are settled:
/// <list type="bullet">
/// <item>characters outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>;</item>
/// <item>time units become base units — <c>ms</c>, <c>us</c>, <c>ns</c> are converted to seconds
/// (values scaled) with suffix <c>_seconds</c>; <c>s</c> gives <c>_seconds</c>, <c>By</c> gives
/// <c>_bytes</c>; annotations in braces (<c>{packet}</c>) and <c>1</c> add nothing — promtool's
/// lint rejects abbreviated units such as <c>_ms</c>;</item>
/// <item>counters end in <c>_total</c>.</item>
/// </list>
/// </summary>
public static class PrometheusNames
{
    /// <summary>The family name and the factor that converts recorded values into its unit.</summary>
    public static (string Name, double Scale) FromInstrument(string instrumentName, string? unit, bool isCounter)
    {
        ArgumentException.ThrowIfNullOrEmpty(instrumentName);
        var name = Sanitize(instrumentName, metric: true);
        var (suffix, scale) = unit switch
        {
            "ms" => ("_seconds", 1e-3),
            "us" or "μs" => ("_seconds", 1e-6),
            "ns" => ("_seconds", 1e-9),
            "s" => ("_seconds", 1.0),
            "By" => ("_bytes", 1.0),
            _ => (string.Empty, 1.0),
        };

        if (isCounter && name.EndsWith("_total", StringComparison.Ordinal))
        {
            name = name[..^"_total".Length];
        }

        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        return (isCounter ? name + "_total" : name, scale);
    }

    /// <summary>A tag key as a label name: invalid characters become <c>_</c>, a leading digit gets a <c>_</c> prefix.</summary>
    public static string LabelName(string tagKey) => Sanitize(tagKey, metric: false);

    private static string Sanitize(string text, bool metric)
    {
        var valid = metric ? PrometheusTextWriter.IsValidMetricName(text) : PrometheusTextWriter.IsValidLabelName(text);
        if (valid)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 1);
        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
        {
            builder.Append('_');
        }

        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (metric && c == ':') ? c : '_');
        }

        // "__" starts reserved label names.
        while (!metric && builder.Length > 1 && builder[0] == '_' && builder[1] == '_')
        {
            builder.Remove(0, 1);
        }

        return builder.ToString();
    }
}
