using Patronus.GraphQL.Introspection;

namespace Patronus.GraphQL.Types;

/// <summary>
/// An immutable, validated schema (spec §3.3). Build one with <see cref="SchemaBuilder"/>. Types are
/// ordered the way graphql-js's GraphQLSchema collects them, so printing matches printSchema.
/// </summary>
public sealed class Schema
{
    private readonly Dictionary<string, NamedType> _typeMap;
    private readonly Dictionary<string, DirectiveDefinition> _directives;
    private readonly Dictionary<NamedType, IReadOnlyList<ObjectType>> _possibleTypes = [];
    private readonly Dictionary<InterfaceType, IReadOnlyList<InterfaceType>> _implementingInterfaces = [];

    internal Schema(
        ObjectType query,
        ObjectType? mutation,
        ObjectType? subscription,
        IEnumerable<NamedType> declaredTypes,
        IReadOnlyList<DirectiveDefinition> directives,
        string? description)
    {
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        Description = description;
        Directives = directives;
        var ordered = new List<NamedType>();
        var seen = new HashSet<NamedType>();
        foreach (var type in declaredTypes)
        {
            Collect(type, ordered, seen);
        }

        Collect(query, ordered, seen);
        if (mutation is not null)
        {
            Collect(mutation, ordered, seen);
        }

        if (subscription is not null)
        {
            Collect(subscription, ordered, seen);
        }

        foreach (var directive in directives)
        {
            foreach (var argument in directive.Arguments)
            {
                Collect(argument.Type.NamedType, ordered, seen);
            }
        }

        Collect(IntrospectionTypes.Schema, ordered, seen);
        Types = ordered;
        _typeMap = new Dictionary<string, NamedType>(StringComparer.Ordinal);
        foreach (var type in ordered)
        {
            _typeMap.TryAdd(type.Name, type);
        }

        _directives = directives.GroupBy(d => d.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var type in ordered)
        {
            if (type is UnionType union)
            {
                _possibleTypes[union] = union.Types;
            }
            else if (type is InterfaceType iface)
            {
                _possibleTypes[iface] = ordered.OfType<ObjectType>().Where(o => o.Interfaces.Contains(iface)).ToList();
                _implementingInterfaces[iface] = ordered.OfType<InterfaceType>().Where(i => i.Interfaces.Contains(iface)).ToList();
            }
        }
    }

    /// <summary>The query root type.</summary>
    public ObjectType Query { get; }

    /// <summary>The mutation root type, or null.</summary>
    public ObjectType? Mutation { get; }

    /// <summary>The subscription root type, or null.</summary>
    public ObjectType? Subscription { get; }

    /// <summary>The schema's description, or null.</summary>
    public string? Description { get; }

    /// <summary>Every named type (including introspection types and referenced built-in scalars) in collection order.</summary>
    public IReadOnlyList<NamedType> Types { get; }

    /// <summary>Every directive, the specified ones first.</summary>
    public IReadOnlyList<DirectiveDefinition> Directives { get; }

    /// <summary>A type by name, or null.</summary>
    public NamedType? GetType(string name) => _typeMap.GetValueOrDefault(name);

    /// <summary>A directive by name (without @), or null.</summary>
    public DirectiveDefinition? GetDirective(string name) => _directives.GetValueOrDefault(name);

    /// <summary>The root type of an operation kind, or null.</summary>
    public ObjectType? GetRootType(Language.OperationType operation) => operation switch
    {
        Language.OperationType.Query => Query,
        Language.OperationType.Mutation => Mutation,
        _ => Subscription,
    };

    /// <summary>Object types an abstract type may resolve to (an object type: itself).</summary>
    public IReadOnlyList<ObjectType> GetPossibleTypes(NamedType type) => type switch
    {
        ObjectType o => [o],
        _ => _possibleTypes.GetValueOrDefault(type) ?? [],
    };

    /// <summary>Whether <paramref name="maybeSub"/> is a possible type (or implementing interface) of <paramref name="abstractType"/>.</summary>
    public bool IsSubType(NamedType abstractType, NamedType maybeSub) => maybeSub switch
    {
        ObjectType o => GetPossibleTypes(abstractType).Contains(o),
        InterfaceType i when abstractType is InterfaceType a => _implementingInterfaces.GetValueOrDefault(a)?.Contains(i) == true,
        _ => false,
    };

    /// <summary>Whether two composite types can have an object type in common.</summary>
    public bool DoTypesOverlap(NamedType a, NamedType b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.IsAbstractType)
        {
            return b.IsAbstractType
                ? GetPossibleTypes(a).Any(t => IsSubType(b, t))
                : IsSubType(a, b);
        }

        return b.IsAbstractType && IsSubType(b, a);
    }

    /// <summary>Is <paramref name="maybeSub"/> a subtype of <paramref name="super"/> (covariance, spec IsValidImplementationFieldType)?</summary>
    public bool IsTypeSubTypeOf(GraphQLType maybeSub, GraphQLType super)
    {
        if (GraphQLType.AreEqual(maybeSub, super))
        {
            return true;
        }

        if (super is NonNullType superNonNull)
        {
            return maybeSub is NonNullType subNonNull && IsTypeSubTypeOf(subNonNull.OfType, superNonNull.OfType);
        }

        if (maybeSub is NonNullType nonNull)
        {
            return IsTypeSubTypeOf(nonNull.OfType, super);
        }

        if (super is ListType superList)
        {
            return maybeSub is ListType subList && IsTypeSubTypeOf(subList.OfType, superList.OfType);
        }

        return maybeSub is not ListType && super.IsAbstractType && maybeSub is NamedType named && (named is ObjectType or InterfaceType) && IsSubType((NamedType)super, named);
    }

    private static void Collect(NamedType type, List<NamedType> ordered, HashSet<NamedType> seen)
    {
        if (!seen.Add(type))
        {
            return;
        }

        ordered.Add(type);
        switch (type)
        {
            case UnionType union:
                foreach (var member in union.Types)
                {
                    Collect(member, ordered, seen);
                }

                break;
            case FieldsType fields:
                foreach (var iface in fields.Interfaces)
                {
                    Collect(iface, ordered, seen);
                }

                foreach (var field in fields.Fields)
                {
                    Collect(field.Type.NamedType, ordered, seen);
                    foreach (var argument in field.Arguments)
                    {
                        Collect(argument.Type.NamedType, ordered, seen);
                    }
                }

                break;
            case InputObjectType input:
                foreach (var field in input.Fields)
                {
                    Collect(field.Type.NamedType, ordered, seen);
                }

                break;
        }
    }
}
