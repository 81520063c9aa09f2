namespace Patronus.GraphQL.Types;

/// <summary>Any GraphQL type: a named type or a list/non-null wrapper.</summary>
public abstract class GraphQLType
{
    /// <summary>The type as written in a document (<c>[Path!]!</c>).</summary>
    public abstract override string ToString();

    /// <summary>The innermost named type.</summary>
    public NamedType NamedType => this switch
    {
        NamedType named => named,
        ListType list => list.OfType.NamedType,
        NonNullType nonNull => nonNull.OfType.NamedType,
        _ => throw new InvalidOperationException("Unknown type kind."),
    };

    /// <summary>The type without a non-null wrapper.</summary>
    public GraphQLType Nullable => this is NonNullType nonNull ? nonNull.OfType : this;

    /// <summary>Scalars, enums, input objects and wrappers of them (spec IsInputType).</summary>
    public bool IsInputType => NamedType is ScalarType or EnumType or InputObjectType;

    /// <summary>Scalars, enums, objects, interfaces, unions and wrappers of them (spec IsOutputType).</summary>
    public bool IsOutputType => NamedType is ScalarType or EnumType or ObjectType or InterfaceType or UnionType;

    /// <summary>Scalars and enums.</summary>
    public bool IsLeafType => this is ScalarType or EnumType;

    /// <summary>Objects, interfaces and unions.</summary>
    public bool IsCompositeType => this is ObjectType or InterfaceType or UnionType;

    /// <summary>Interfaces and unions.</summary>
    public bool IsAbstractType => this is InterfaceType or UnionType;

    /// <summary>Whether two types are the same (named types by identity, wrappers structurally).</summary>
    public static bool AreEqual(GraphQLType a, GraphQLType b) => (a, b) switch
    {
        (NamedType x, NamedType y) => ReferenceEquals(x, y),
        (ListType x, ListType y) => AreEqual(x.OfType, y.OfType),
        (NonNullType x, NonNullType y) => AreEqual(x.OfType, y.OfType),
        _ => false,
    };
}

/// <summary>A type with a name: scalar, object, interface, union, enum or input object.</summary>
public abstract class NamedType : GraphQLType
{
    protected NamedType(string name, string? description)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Description = description;
    }

    /// <summary>The type's name.</summary>
    public string Name { get; }

    /// <summary>The type's description (Markdown), or null.</summary>
    public string? Description { get; }

    public override string ToString() => Name;
}

/// <summary><c>[T]</c>.</summary>
public sealed class ListType : GraphQLType
{
    public ListType(GraphQLType ofType)
    {
        ArgumentNullException.ThrowIfNull(ofType);
        OfType = ofType;
    }

    /// <summary>The item type.</summary>
    public GraphQLType OfType { get; }

    public override string ToString() => $"[{OfType}]";
}

/// <summary><c>T!</c>; <see cref="OfType"/> is never itself non-null.</summary>
public sealed class NonNullType : GraphQLType
{
    public NonNullType(GraphQLType ofType)
    {
        ArgumentNullException.ThrowIfNull(ofType);
        if (ofType is NonNullType)
        {
            throw new ArgumentException("A non-null type cannot wrap a non-null type.", nameof(ofType));
        }

        OfType = ofType;
    }

    /// <summary>The nullable type.</summary>
    public GraphQLType OfType { get; }

    public override string ToString() => $"{OfType}!";
}
