namespace Patronus.GraphQL.Types;

/// <summary>Objects and interfaces: types with fields that may implement interfaces.</summary>
public abstract class FieldsType : NamedType
{
    private Dictionary<string, FieldDefinition> _byName = [];

    protected FieldsType(string name, string? description)
        : base(name, description)
    {
    }

    /// <summary>Fields in definition order.</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; private set; } = [];

    /// <summary>Interfaces this type implements, in definition order.</summary>
    public IReadOnlyList<InterfaceType> Interfaces { get; internal set; } = [];

    /// <summary>A field by name, or null.</summary>
    public FieldDefinition? GetField(string name) => _byName.GetValueOrDefault(name);

    internal void SetFields(IReadOnlyList<FieldDefinition> fields)
    {
        Fields = fields;
        _byName = fields.GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }
}

/// <summary>An object type (spec §3.6).</summary>
public sealed class ObjectType : FieldsType
{
    public ObjectType(string name, string? description = null)
        : base(name, description)
    {
    }

    /// <summary>Decides whether a resolved value is of this type when an abstract type must pick one; null: unknown.</summary>
    public Func<object, bool>? IsTypeOf { get; internal set; }

    /// <summary>CLR type whose instances are of this GraphQL type (for default abstract type resolution).</summary>
    public Type? ClrType { get; internal set; }
}

/// <summary>An interface type (spec §3.7).</summary>
public sealed class InterfaceType : FieldsType
{
    public InterfaceType(string name, string? description = null)
        : base(name, description)
    {
    }

    /// <summary>Picks the object type of a value; null falls back to each possible type's IsTypeOf/ClrType.</summary>
    public Func<object, Execution.ResolveContext, string?>? ResolveType { get; internal set; }
}

/// <summary>A union type (spec §3.8).</summary>
public sealed class UnionType : NamedType
{
    public UnionType(string name, string? description = null)
        : base(name, description)
    {
    }

    /// <summary>Member types in definition order.</summary>
    public IReadOnlyList<ObjectType> Types { get; internal set; } = [];

    /// <summary>Picks the object type of a value; null falls back to each member's IsTypeOf/ClrType.</summary>
    public Func<object, Execution.ResolveContext, string?>? ResolveType { get; internal set; }
}

/// <summary>One value of an enum type.</summary>
public sealed class EnumValueDefinition
{
    internal EnumValueDefinition(string name, object value)
    {
        Name = name;
        Value = value;
    }

    /// <summary>The value's name as it appears in documents and responses.</summary>
    public string Name { get; }

    /// <summary>The internal value resolvers see and return (default: the name).</summary>
    public object Value { get; }

    /// <summary>Description, or null.</summary>
    public string? Description { get; internal set; }

    /// <summary>Why deprecated, or null.</summary>
    public string? DeprecationReason { get; internal set; }

    /// <summary>Whether deprecated.</summary>
    public bool IsDeprecated => DeprecationReason is not null;
}

/// <summary>An enum type (spec §3.9).</summary>
public sealed class EnumType : NamedType
{
    private Dictionary<string, EnumValueDefinition> _byName = [];
    private EnumValueDefinition[] _values = [];

    public EnumType(string name, string? description = null)
        : base(name, description)
    {
    }

    /// <summary>Values in definition order.</summary>
    public IReadOnlyList<EnumValueDefinition> Values { get; private set; } = [];

    /// <summary>A value by name, or null.</summary>
    public EnumValueDefinition? GetValue(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The definition whose internal value equals <paramref name="value"/> (or whose name does, for strings).</summary>
    public EnumValueDefinition? FromInternal(object value)
    {
        // Once per enum leaf of a response: an array, not the list's boxed enumerator.
        foreach (var v in _values)
        {
            if (Equals(v.Value, value))
            {
                return v;
            }
        }

        return value is string s ? GetValue(s) : null;
    }

    internal void SetValues(IReadOnlyList<EnumValueDefinition> values)
    {
        Values = values;
        _values = [.. values];
        _byName = values.GroupBy(v => v.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }
}

/// <summary>An input object type (spec §3.10).</summary>
public sealed class InputObjectType : NamedType
{
    private Dictionary<string, InputValueDefinition> _byName = [];

    public InputObjectType(string name, string? description = null)
        : base(name, description)
    {
    }

    /// <summary>Fields in definition order.</summary>
    public IReadOnlyList<InputValueDefinition> Fields { get; private set; } = [];

    /// <summary>A field by name, or null.</summary>
    public InputValueDefinition? GetField(string name) => _byName.GetValueOrDefault(name);

    internal void SetFields(IReadOnlyList<InputValueDefinition> fields)
    {
        Fields = fields;
        _byName = fields.GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }
}
