using System.Globalization;
using System.Text;

namespace Patronus.TestSupport;

/// <summary>One parsed sample line of a scrape.</summary>
public sealed record PromSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value)
{
    /// <summary>Name and labels sorted by label name: two samples with the same key are the same series.</summary>
    public string SeriesKey => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";

    public string? Label(string name) => Labels.FirstOrDefault(l => l.Key == name).Value;
}

/// <summary>
/// A strict reader of the text format 0.0.4 for tests: the writer's output is read back
/// independently of it (escapes, labels, values), and what promtool does not check — the same
/// series twice — can be found.
/// </summary>
public static class PrometheusText
{
    public static (IReadOnlyList<PromSample> Samples, IReadOnlyDictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<PromSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types.Add(parts[2], parts[3]);
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            samples.Add(ParseSample(line));
        }

        return (samples, types);
    }

    public static PromSample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        var name = line[..i];
        var labels = new List<KeyValuePair<string, string>>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq];
                Expect('"', line, eq + 1);
                i = eq + 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            var c => throw new FormatException($"bad escape \\{c} in {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                labels.Add(new(key, value.ToString()));
                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        Expect(' ', line, i);
        var valueText = line[(i + 1)..];
        var number = valueText switch
        {
            "NaN" => double.NaN,
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PromSample(name, labels, number);
    }

    private static void Expect(char expected, string line, int at)
    {
        if (at >= line.Length || line[at] != expected)
        {
            throw new FormatException($"expected '{expected}' at {at} in {line}");
        }
    }

    /// <summary>Series that appear more than once.</summary>
    public static IReadOnlyList<string> Duplicates(IEnumerable<PromSample> samples) =>
        samples.GroupBy(s => s.SeriesKey).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
}
