using System.Globalization;

namespace Patronus.Bench.Serve;

/// <summary>Just enough of the Prometheus text format to add up one family's samples.</summary>
internal static class MetricsText
{
    /// <summary>
    /// The sum of the samples of <paramref name="family"/> (exact name, or with labels) whose label
    /// set contains <paramref name="label"/> (e.g. <c>status="up"</c>); an empty
    /// <paramref name="label"/> also takes a sample without labels.
    /// </summary>
    public static double Sum(string text, string family, string label)
    {
        double sum = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan()[range];
            if (!line.StartsWith(family, StringComparison.Ordinal) || line.Length <= family.Length || line[family.Length] is not ('{' or ' '))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            if (close < 0 && label.Length == 0 && line[family.Length] == ' ')
            {
                close = family.Length - 1;
            }
            else if (close < 0 || !line[..close].Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            var value = line[(close + 1)..].Trim();
            var space = value.IndexOf(' ');
            if (double.TryParse(space < 0 ? value : value[..space], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                sum += v;
            }
        }

        return sum;
    }
}
