using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Types;

/// <summary>Resolves a field's value. May complete synchronously (return a completed ValueTask).</summary>
public delegate ValueTask<object?> FieldResolver(ResolveContext context);

/// <summary>Resolves a subscription field's source event stream.</summary>
public delegate ValueTask<IAsyncEnumerable<object?>> SubscriptionResolver(ResolveContext context);

/// <summary>A field of an object or interface type.</summary>
public sealed class FieldDefinition
{
    internal FieldDefinition(string name) => Name = name;

    /// <summary>The field's name.</summary>
    public string Name { get; }

    /// <summary>The field's description, or null.</summary>
    public string? Description { get; internal set; }

    /// <summary>The field's output type.</summary>
    public GraphQLType Type { get; internal set; } = null!;

    /// <summary>The field's arguments in definition order.</summary>
    public IReadOnlyList<InputValueDefinition> Arguments { get; internal set; } = [];

    /// <summary>Why the field is deprecated, or null when it is not.</summary>
    public string? DeprecationReason { get; internal set; }

    /// <summary>Whether the field is deprecated.</summary>
    public bool IsDeprecated => DeprecationReason is not null;

    /// <summary>The resolver; null uses the default (dictionary key or public property of the parent).</summary>
    public FieldResolver? Resolver { get; internal set; }

    /// <summary>For subscription root fields: produces the source stream.</summary>
    public SubscriptionResolver? Subscriber { get; internal set; }

    /// <summary>Complexity cost of this field (default 1), multiplied by list sizes by <see cref="Limits.QueryLimits"/>.</summary>
    public int Cost { get; internal set; } = 1;

    /// <summary>Name of an argument that bounds the list size (e.g. "first"), for complexity.</summary>
    public string? ListSizeArgument { get; internal set; }

    /// <summary>Looks an argument up by name.</summary>
    public InputValueDefinition? GetArgument(string name)
    {
        foreach (var argument in Arguments)
        {
            if (argument.Name == name)
            {
                return argument;
            }
        }

        return null;
    }
}

/// <summary>An argument or an input object field.</summary>
public sealed class InputValueDefinition
{
    internal InputValueDefinition(string name) => Name = name;

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>The description, or null.</summary>
    public string? Description { get; internal set; }

    /// <summary>The input type.</summary>
    public GraphQLType Type { get; internal set; } = null!;

    /// <summary>The default value as a constant literal, or null when there is none.</summary>
    public ValueNode? DefaultValueLiteral { get; internal set; }

    /// <summary>Whether a default value is defined (a default of <c>null</c> counts).</summary>
    public bool HasDefaultValue => DefaultValueLiteral is not null;

    /// <summary>The default value coerced to its internal representation (valid when <see cref="HasDefaultValue"/>).</summary>
    public object? DefaultValue { get; internal set; }

    /// <summary>Why this input value is deprecated, or null.</summary>
    public string? DeprecationReason { get; internal set; }

    /// <summary>Whether it is deprecated.</summary>
    public bool IsDeprecated => DeprecationReason is not null;

    /// <summary>Required: non-null without a default.</summary>
    public bool IsRequired => Type is NonNullType && !HasDefaultValue;
}

/// <summary>A directive definition.</summary>
public sealed class DirectiveDefinition
{
    internal DirectiveDefinition(string name) => Name = name;

    /// <summary>The name, without the @.</summary>
    public string Name { get; }

    /// <summary>The description, or null.</summary>
    public string? Description { get; internal set; }

    /// <summary>Where it may appear.</summary>
    public IReadOnlyList<DirectiveLocation> Locations { get; internal set; } = [];

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<InputValueDefinition> Arguments { get; internal set; } = [];

    /// <summary>Whether it may appear more than once at one location.</summary>
    public bool IsRepeatable { get; internal set; }

    /// <summary>Looks an argument up by name.</summary>
    public InputValueDefinition? GetArgument(string name) => Arguments.FirstOrDefault(a => a.Name == name);
}
