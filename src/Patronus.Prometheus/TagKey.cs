using System.Globalization;

namespace Patronus.Prometheus;

/// <summary>A series' tag set, sorted by tag name, with its labels ready to write.</summary>
internal sealed class TagKey
{
    private TagKey(string[] names, string[] values, Label[] labels, int hash)
    {
        Names = names;
        Values = values;
        Labels = labels;
        Hash = hash;
    }

    public string[] Names { get; }

    public string[] Values { get; }

    public Label[] Labels { get; }

    public int Hash { get; }

    public static TagKey Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            pairs[i] = new KeyValuePair<string, string>(tags[i].Key, Text(tags[i].Value));
        }

        Array.Sort(pairs, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var names = new string[pairs.Length];
        var values = new string[pairs.Length];
        var labels = new Label[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            names[i] = pairs[i].Key;
            values[i] = pairs[i].Value;
            labels[i] = new Label(PrometheusNames.LabelName(pairs[i].Key), pairs[i].Value);
        }

        return new TagKey(names, values, labels, HashOf(names, values));
    }

    /// <summary>The hash of a tag span in the order given (equal to a key's hash only when the span is in the key's sorted order).</summary>
    public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = default(HashCode);
        foreach (var tag in tags)
        {
            hash.Add(tag.Key, StringComparer.Ordinal);
            hash.Add(tag.Value is string s ? s : Text(tag.Value), StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>A tag value as label text: strings as they are, numbers and other formattables invariantly, null as empty.</summary>
    public static string Text(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static int HashOf(string[] names, string[] values)
    {
        var hash = default(HashCode);
        for (var i = 0; i < names.Length; i++)
        {
            hash.Add(names[i], StringComparer.Ordinal);
            hash.Add(values[i], StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}

/// <summary>Compares keys with each other, and a measurement's tag span with a key without allocating (for string tag values).</summary>
internal sealed class TagKeyComparer : IEqualityComparer<TagKey>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagKey>
{
    public static readonly TagKeyComparer Instance = new();

    public bool Equals(TagKey? x, TagKey? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash &&
            x.Names.AsSpan().SequenceEqual(y.Names) && x.Values.AsSpan().SequenceEqual(y.Values));

    public int GetHashCode(TagKey obj) => obj.Hash;

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> alternate, TagKey other)
    {
        if (alternate.Length != other.Names.Length)
        {
            return false;
        }

        for (var i = 0; i < alternate.Length; i++)
        {
            var value = alternate[i].Value;
            if (!string.Equals(alternate[i].Key, other.Names[i], StringComparison.Ordinal) ||
                !string.Equals(value as string ?? TagKey.Text(value), other.Values[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> alternate) => TagKey.HashOf(alternate);

    public TagKey Create(ReadOnlySpan<KeyValuePair<string, object?>> alternate) => TagKey.Create(alternate);
}
