namespace Patronus.GraphQL.Execution;

/// <summary>An immutable path into the response: field names (string) and list indices (int).</summary>
public sealed class ResponsePath
{
    private ResponsePath(ResponsePath? previous, object key, string? typeName)
    {
        Previous = previous;
        Key = key;
        TypeName = typeName;
    }

    /// <summary>The parent path, or null at the root.</summary>
    public ResponsePath? Previous { get; }

    /// <summary>A response key (string) or list index (int).</summary>
    public object Key { get; }

    /// <summary>The parent object type's name for a field segment.</summary>
    public string? TypeName { get; }

    /// <summary>A root field segment.</summary>
    public static ResponsePath Root(string key, string? typeName = null) => new(null, key, typeName);

    /// <summary>A field below this path.</summary>
    public ResponsePath Field(string key, string? typeName = null) => new(this, key, typeName);

    /// <summary>A list index below this path.</summary>
    public ResponsePath Index(int index) => new(this, index, null);

    /// <summary>The path from the root as a list.</summary>
    public IReadOnlyList<object> ToList()
    {
        var keys = new List<object>();
        for (var p = this; p is not null; p = p.Previous)
        {
            keys.Add(p.Key);
        }

        keys.Reverse();
        return keys;
    }

    public override string ToString() => string.Join('.', ToList());
}
