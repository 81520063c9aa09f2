using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Patronus.GraphQL.Execution;

/// <summary>
/// A completed object of the response: its response keys in selection order and their values.
/// Two arrays instead of a hash map: objects have a handful of fields, a response has thousands of
/// objects, and the writer reads them in order. Lookups by key are linear.
/// </summary>
internal sealed class ResultMap : IReadOnlyDictionary<string, object?>
{
    private readonly string[] _keys;
    private readonly JsonEncodedText[]? _encodedKeys;
    private readonly object?[] _values;

    /// <summary>
    /// The first <paramref name="count"/> keys and values (the arrays are the map's from now on);
    /// <paramref name="encodedKeys"/>, when given, are the same keys as JSON property names, in the same order.
    /// </summary>
    public ResultMap(string[] keys, object?[] values, int count, JsonEncodedText[]? encodedKeys = null)
    {
        _keys = keys;
        _values = values;
        _encodedKeys = encodedKeys;
        Count = count;
    }

    /// <summary>The keys encoded once per selection for the JSON writer (null: write <see cref="KeyAt"/>).</summary>
    public JsonEncodedText[]? EncodedKeys => _encodedKeys;

    public int Count { get; }

    public IEnumerable<string> Keys => _keys.Take(Count);

    public IEnumerable<object?> Values => _values.Take(Count);

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public string KeyAt(int index) => _keys[index];

    public object? ValueAt(int index) => _values[index];

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? _values[index] : null;
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return new(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (var i = 0; i < Count; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
