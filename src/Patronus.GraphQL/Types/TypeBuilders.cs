using Patronus.GraphQL.Execution;

namespace Patronus.GraphQL.Types;

/// <summary>Base of the per-kind type builders.</summary>
public abstract class TypeBuilder
{
    private protected TypeBuilder(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The type's name.</summary>
    public string Name { get; }

    private protected string? TypeDescription { get; set; }

    internal abstract NamedType Create();

    internal abstract void Complete(NamedType type, SchemaBuilder.BuildContext context);
}

/// <summary>Shared by object and interface builders: fields and implemented interfaces.</summary>
public abstract class FieldsTypeBuilder<TSelf> : TypeBuilder
    where TSelf : FieldsTypeBuilder<TSelf>
{
    private readonly List<FieldBuilder> _fields = [];
    private readonly List<string> _interfaces = [];

    private protected FieldsTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Sets the description.</summary>
    public TSelf Description(string? description)
    {
        TypeDescription = description;
        return (TSelf)this;
    }

    /// <summary>Declares implemented interfaces by name.</summary>
    public TSelf Implements(params string[] interfaces)
    {
        _interfaces.AddRange(interfaces);
        return (TSelf)this;
    }

    /// <summary>Adds a field of type <paramref name="type"/> (e.g. <c>"[Path!]!"</c>), configured by <paramref name="configure"/>.</summary>
    public TSelf Field(string name, string type, Action<FieldBuilder>? configure = null)
    {
        var builder = new FieldBuilder(name, type);
        configure?.Invoke(builder);
        _fields.Add(builder);
        return (TSelf)this;
    }

    internal void CompleteFields(FieldsType type, SchemaBuilder.BuildContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in _fields)
        {
            if (!names.Add(field.Name))
            {
                context.Errors.Add($"Field \"{Name}.{field.Name}\" can only be defined once.");
            }
        }

        type.SetFields(_fields.Select(f => f.Build($"{Name}.{f.Name}", context)).ToList());
        type.Interfaces = _interfaces
            .Select(i => context.Find<InterfaceType>(i, $"Type {Name} implements"))
            .OfType<InterfaceType>()
            .ToList();
    }
}

/// <summary>Configures an object type.</summary>
public sealed class ObjectTypeBuilder : FieldsTypeBuilder<ObjectTypeBuilder>
{
    private Func<object, bool>? _isTypeOf;
    private Type? _clrType;

    internal ObjectTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Values of CLR type <typeparamref name="T"/> are of this GraphQL type (for interfaces and unions).</summary>
    public ObjectTypeBuilder ClrType<T>()
    {
        _clrType = typeof(T);
        return this;
    }

    /// <summary>A predicate telling whether a value is of this type (for interfaces and unions).</summary>
    public ObjectTypeBuilder IsTypeOf(Func<object, bool> isTypeOf)
    {
        _isTypeOf = isTypeOf;
        return this;
    }

    internal override NamedType Create() => new ObjectType(Name, TypeDescription) { IsTypeOf = _isTypeOf, ClrType = _clrType };

    internal override void Complete(NamedType type, SchemaBuilder.BuildContext context) => CompleteFields((ObjectType)type, context);
}

/// <summary>Configures an interface type.</summary>
public sealed class InterfaceTypeBuilder : FieldsTypeBuilder<InterfaceTypeBuilder>
{
    private Func<object, ResolveContext, string?>? _resolveType;

    internal InterfaceTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Names the object type of a resolved value; without it, objects' ClrType/IsTypeOf decide.</summary>
    public InterfaceTypeBuilder ResolveType(Func<object, ResolveContext, string?> resolveType)
    {
        _resolveType = resolveType;
        return this;
    }

    internal override NamedType Create() => new InterfaceType(Name, TypeDescription) { ResolveType = _resolveType };

    internal override void Complete(NamedType type, SchemaBuilder.BuildContext context) => CompleteFields((InterfaceType)type, context);
}

/// <summary>Configures a union type.</summary>
public sealed class UnionTypeBuilder : TypeBuilder
{
    private readonly List<string> _members = [];
    private Func<object, ResolveContext, string?>? _resolveType;

    internal UnionTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Sets the description.</summary>
    public UnionTypeBuilder Description(string? description)
    {
        TypeDescription = description;
        return this;
    }

    /// <summary>Adds member object types by name.</summary>
    public UnionTypeBuilder Types(params string[] members)
    {
        _members.AddRange(members);
        return this;
    }

    /// <summary>Names the member type of a resolved value; without it, members' ClrType/IsTypeOf decide.</summary>
    public UnionTypeBuilder ResolveType(Func<object, ResolveContext, string?> resolveType)
    {
        _resolveType = resolveType;
        return this;
    }

    internal override NamedType Create() => new UnionType(Name, TypeDescription) { ResolveType = _resolveType };

    internal override void Complete(NamedType type, SchemaBuilder.BuildContext context)
    {
        var union = (UnionType)type;
        var members = new List<ObjectType>();
        foreach (var member in _members)
        {
            if (context.Find<NamedType>(member, $"Union {Name}") is { } found)
            {
                if (found is ObjectType o)
                {
                    if (members.Contains(o))
                    {
                        context.Errors.Add($"Union type {Name} can only include type {member} once.");
                    }

                    members.Add(o);
                }
                else
                {
                    context.Errors.Add($"Union type {Name} can only include Object types, it cannot include {member}.");
                }
            }
        }

        union.Types = members;
    }
}

/// <summary>Configures an enum type.</summary>
public sealed class EnumTypeBuilder : TypeBuilder
{
    private readonly List<(string Name, object? Value, string? Description, string? Deprecation)> _values = [];

    internal EnumTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Sets the description.</summary>
    public EnumTypeBuilder Description(string? description)
    {
        TypeDescription = description;
        return this;
    }

    /// <summary>Adds a value; <paramref name="internalValue"/> is what resolvers see and return (default: the name).</summary>
    public EnumTypeBuilder Value(string name, object? internalValue = null, string? description = null, string? deprecationReason = null)
    {
        _values.Add((name, internalValue, description, deprecationReason));
        return this;
    }

    internal static string ToConstantCase(string pascal)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]) && !char.IsUpper(pascal[i - 1]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(pascal[i]));
        }

        return builder.ToString();
    }

    internal override NamedType Create() => new EnumType(Name, TypeDescription);

    internal override void Complete(NamedType type, SchemaBuilder.BuildContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in _values)
        {
            if (!names.Add(value.Name))
            {
                context.Errors.Add($"Enum value \"{Name}.{value.Name}\" can only be defined once.");
            }
        }

        ((EnumType)type).SetValues(_values
            .Select(v => new EnumValueDefinition(v.Name, v.Value ?? v.Name) { Description = v.Description, DeprecationReason = v.Deprecation })
            .ToList());
    }
}

/// <summary>Configures an input object type.</summary>
public sealed class InputObjectTypeBuilder : TypeBuilder
{
    private readonly List<InputValueBuilder> _fields = [];

    internal InputObjectTypeBuilder(string name)
        : base(name)
    {
    }

    /// <summary>Sets the description.</summary>
    public InputObjectTypeBuilder Description(string? description)
    {
        TypeDescription = description;
        return this;
    }

    /// <summary>Adds an input field.</summary>
    public InputObjectTypeBuilder Field(string name, string type, Action<InputValueBuilder>? configure = null)
    {
        var builder = new InputValueBuilder(name, type);
        configure?.Invoke(builder);
        _fields.Add(builder);
        return this;
    }

    internal override NamedType Create() => new InputObjectType(Name, TypeDescription);

    internal override void Complete(NamedType type, SchemaBuilder.BuildContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in _fields)
        {
            if (!names.Add(field.Name))
            {
                context.Errors.Add($"Input field \"{Name}.{field.Name}\" can only be defined once.");
            }
        }

        ((InputObjectType)type).SetFields(_fields.Select(f => f.Build($"{Name}.{f.Name}", context)).ToList());
    }
}

/// <summary>Configures a custom directive.</summary>
public sealed class DirectiveBuilder
{
    private readonly List<InputValueBuilder> _arguments = [];
    private readonly List<DirectiveLocation> _locations = [];
    private string? _description;
    private bool _repeatable;

    internal DirectiveBuilder(string name) => Name = name;

    /// <summary>The directive's name (without @).</summary>
    public string Name { get; }

    /// <summary>Sets the description.</summary>
    public DirectiveBuilder Description(string? description)
    {
        _description = description;
        return this;
    }

    /// <summary>Adds locations.</summary>
    public DirectiveBuilder Locations(params DirectiveLocation[] locations)
    {
        _locations.AddRange(locations);
        return this;
    }

    /// <summary>Makes the directive repeatable.</summary>
    public DirectiveBuilder Repeatable(bool repeatable = true)
    {
        _repeatable = repeatable;
        return this;
    }

    /// <summary>Adds an argument.</summary>
    public DirectiveBuilder Argument(string name, string type, Action<InputValueBuilder>? configure = null)
    {
        var builder = new InputValueBuilder(name, type);
        configure?.Invoke(builder);
        _arguments.Add(builder);
        return this;
    }

    internal DirectiveDefinition Build(SchemaBuilder.BuildContext context) => new(Name)
    {
        Description = _description,
        Locations = _locations.Distinct().ToList(),
        IsRepeatable = _repeatable,
        Arguments = _arguments.Select(a => a.Build($"@{Name}({a.Name}:)", context)).ToList(),
    };
}
