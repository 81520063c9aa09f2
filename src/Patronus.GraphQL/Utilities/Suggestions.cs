namespace Patronus.GraphQL.Utilities;

/// <summary>graphql-js's "Did you mean …?" suggestions (suggestionList + didYouMean).</summary>
public static class Suggestions
{
    /// <summary>Options close to <paramref name="input"/> by lexical distance, best first.</summary>
    public static IReadOnlyList<string> List(string input, IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var threshold = Math.Floor(input.Length * 0.4) + 1;
        var scored = new List<(string Option, int Distance)>();
        foreach (var option in options)
        {
            var distance = string.Equals(input, option, StringComparison.OrdinalIgnoreCase) && input != option ? 1 : Distance(input, option);
            if (distance <= threshold)
            {
                scored.Add((option, distance));
            }
        }

        return scored
            .OrderBy(s => s.Distance)
            .ThenBy(s => s.Option, NaturalComparer.Instance)
            .Select(s => s.Option)
            .ToList();
    }

    /// <summary>" Did you mean "a", "b", or "c"?" (at most five), or empty.</summary>
    public static string DidYouMean(string input, IEnumerable<string> options, string? subMessage = null)
    {
        return Format(List(input, options), subMessage);
    }

    /// <summary>Formats already chosen suggestions: " Did you mean [sub ]"a", "b", or "c"?" (at most five).</summary>
    public static string Format(IEnumerable<string> suggestions, string? subMessage = null)
    {
        ArgumentNullException.ThrowIfNull(suggestions);
        var list = suggestions.Take(5).Select(s => $"\"{s}\"").ToList();
        if (list.Count == 0)
        {
            return string.Empty;
        }

        var message = subMessage is null ? " Did you mean " : $" Did you mean {subMessage} ";
        return message + list.Count switch
        {
            1 => list[0],
            2 => list[0] + " or " + list[1],
            _ => string.Join(", ", list.Take(list.Count - 1)) + ", or " + list[^1],
        } + "?";
    }

    // Damerau-Levenshtein (optimal string alignment) on lower-cased input, as graphql-js.
    private static int Distance(string a, string b)
    {
        if (a == b)
        {
            return 0;
        }

        var x = a.ToLowerInvariant();
        var y = b.ToLowerInvariant();
        if (x == y)
        {
            return 1;
        }

        var d = new int[x.Length + 1, y.Length + 1];
        for (var i = 0; i <= x.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= y.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= x.Length; i++)
        {
            for (var j = 1; j <= y.Length; j++)
            {
                var cost = x[i - 1] == y[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
                {
                    value = Math.Min(value, d[i - 2, j - 2] + 1);
                }

                d[i, j] = value;
            }
        }

        return d[x.Length, y.Length];
    }

    private sealed class NaturalComparer : IComparer<string>
    {
        public static readonly NaturalComparer Instance = new();

        public int Compare(string? x, string? y) => string.CompareOrdinal(x, y);
    }
}
