using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Types;

/// <summary>
/// Builds a <see cref="Schema"/> code-first. Types refer to each other by type strings
/// (<c>"[Path!]!"</c>) resolved at <see cref="Build"/>, so declaration order does not matter.
/// <code>
/// var schema = new SchemaBuilder()
///     .Object("Query", o => o.Field("path", "Path", f => f.Argument("id", "ID!").Resolve(ctx => paths.Find(ctx.Argument&lt;string&gt;("id")))))
///     .Object("Path", o => o.Field("id", "ID!").Field("latencyMs", "Float"))
///     .Build();
/// </code>
/// <see cref="Build"/> validates the schema against the spec's type system rules and throws
/// <see cref="SchemaValidationException"/> listing every problem.
/// </summary>
public sealed partial class SchemaBuilder
{
    private readonly List<TypeBuilder> _types = [];
    private readonly List<ScalarType> _scalars = [];
    private readonly List<DirectiveBuilder> _directives = [];
    private string? _queryName;
    private string? _mutationName;
    private string? _subscriptionName;
    private string? _description;

    /// <summary>Sets the schema description.</summary>
    public SchemaBuilder Description(string? description)
    {
        _description = description;
        return this;
    }

    /// <summary>Names the root operation types (defaults: Query, Mutation, Subscription when defined).</summary>
    public SchemaBuilder RootTypes(string query, string? mutation = null, string? subscription = null)
    {
        _queryName = query;
        _mutationName = mutation;
        _subscriptionName = subscription;
        return this;
    }

    /// <summary>Defines an object type.</summary>
    public SchemaBuilder Object(string name, Action<ObjectTypeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new ObjectTypeBuilder(name);
        configure(builder);
        _types.Add(builder);
        return this;
    }

    /// <summary>Defines an interface type.</summary>
    public SchemaBuilder Interface(string name, Action<InterfaceTypeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new InterfaceTypeBuilder(name);
        configure(builder);
        _types.Add(builder);
        return this;
    }

    /// <summary>Defines a union type.</summary>
    public SchemaBuilder Union(string name, Action<UnionTypeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new UnionTypeBuilder(name);
        configure(builder);
        _types.Add(builder);
        return this;
    }

    /// <summary>Defines an enum type.</summary>
    public SchemaBuilder Enum(string name, Action<EnumTypeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new EnumTypeBuilder(name);
        configure(builder);
        _types.Add(builder);
        return this;
    }

    /// <summary>Defines an enum type whose values are the members of a CLR enum (internal values are the members).</summary>
    public SchemaBuilder Enum<TEnum>(string name, string? description = null)
        where TEnum : struct, System.Enum
    {
        return Enum(name, e =>
        {
            e.Description(description);
            foreach (var value in System.Enum.GetValues<TEnum>())
            {
                e.Value(EnumTypeBuilder.ToConstantCase(value.ToString()), value);
            }
        });
    }

    /// <summary>Defines an input object type.</summary>
    public SchemaBuilder InputObject(string name, Action<InputObjectTypeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new InputObjectTypeBuilder(name);
        configure(builder);
        _types.Add(builder);
        return this;
    }

    /// <summary>Adds a custom scalar (e.g. <see cref="Scalars.DateTime"/>).</summary>
    public SchemaBuilder Scalar(ScalarType scalar)
    {
        ArgumentNullException.ThrowIfNull(scalar);
        _scalars.Add(scalar);
        return this;
    }

    /// <summary>Defines a custom directive.</summary>
    public SchemaBuilder Directive(string name, Action<DirectiveBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new DirectiveBuilder(name);
        configure(builder);
        _directives.Add(builder);
        return this;
    }

    /// <summary>Resolves the type references, validates the schema, and returns it.</summary>
    public Schema Build()
    {
        var errors = new List<string>();
        var types = new Dictionary<string, NamedType>(StringComparer.Ordinal);
        foreach (var scalar in Scalars.Specified)
        {
            types[scalar.Name] = scalar;
        }

        foreach (var type in Introspection.IntrospectionTypes.All)
        {
            types[type.Name] = type;
        }

        var declared = new List<NamedType>();
        foreach (var scalar in _scalars)
        {
            Declare(scalar);
        }

        var created = new List<(TypeBuilder Builder, NamedType Type)>();
        foreach (var builder in _types)
        {
            var type = builder.Create();
            Declare(type);
            created.Add((builder, type));
        }

        var context = new BuildContext(types, errors);
        foreach (var (builder, type) in created)
        {
            builder.Complete(type, context);
        }

        foreach (var deferred in context.Deferred)
        {
            deferred();
        }

        var deferredDone = context.Deferred.Count;
        var directives = new List<DirectiveDefinition>(Directives.Specified);
        foreach (var builder in _directives)
        {
            if (directives.Any(d => d.Name == builder.Name))
            {
                errors.Add($"Directive \"@{builder.Name}\" already exists in the schema. It cannot be redefined.");
                continue;
            }

            directives.Add(builder.Build(context));
        }

        foreach (var deferred in context.Deferred.Skip(deferredDone))
        {
            deferred();
        }

        var query = Root(_queryName ?? "Query", "Query", required: true);
        var mutation = Root(_mutationName ?? "Mutation", "Mutation", required: _mutationName is not null);
        var subscription = Root(_subscriptionName ?? "Subscription", "Subscription", required: _subscriptionName is not null);
        if (errors.Count > 0 || query is null)
        {
            throw new SchemaValidationException(errors);
        }

        var schema = new Schema(query, mutation, subscription, declared, directives, _description);
        errors.AddRange(SchemaValidator.Validate(schema));
        return errors.Count > 0 ? throw new SchemaValidationException(errors) : schema;

        void Declare(NamedType type)
        {
            if (types.TryGetValue(type.Name, out var existing) && (existing is not ScalarType s || !s.IsSpecified || !ReferenceEquals(s, type)))
            {
                errors.Add($"Schema must contain uniquely named types but contains multiple types named \"{type.Name}\".");
                return;
            }

            types[type.Name] = type;
            declared.Add(type);
        }

        ObjectType? Root(string name, string operation, bool required)
        {
            if (!types.TryGetValue(name, out var type))
            {
                if (required)
                {
                    errors.Add(operation == "Query" ? "Query root type must be provided." : $"{operation} root type \"{name}\" is not defined.");
                }

                return null;
            }

            if (type is ObjectType o)
            {
                return o;
            }

            errors.Add($"{operation} root type must be Object type, it cannot be {name}.");
            return null;
        }
    }

    internal sealed class BuildContext(Dictionary<string, NamedType> types, List<string> errors)
    {
        public List<string> Errors { get; } = errors;

        // Default values are coerced once every input type has its fields.
        public List<Action> Deferred { get; } = [];

        public GraphQLType? ResolveType(string reference, string where)
        {
            TypeNode node;
            try
            {
                node = Parser.ParseType(reference);
            }
            catch (GraphQLSyntaxException e)
            {
                Errors.Add($"{where}: invalid type reference \"{reference}\": {e.Message}");
                return null;
            }

            return Resolve(node);

            GraphQLType? Resolve(TypeNode typeNode)
            {
                switch (typeNode)
                {
                    case NonNullTypeNode n:
                        return Resolve(n.Type) is { } inner ? new NonNullType(inner) : null;
                    case ListTypeNode l:
                        return Resolve(l.Type) is { } item ? new ListType(item) : null;
                    default:
                        var name = ((NamedTypeNode)typeNode).Name.Value;
                        if (types.TryGetValue(name, out var type))
                        {
                            return type;
                        }

                        Errors.Add($"{where}: unknown type \"{name}\".");
                        return null;
                }
            }
        }

        public T? Find<T>(string name, string where)
            where T : NamedType
        {
            if (types.TryGetValue(name, out var type) && type is T typed)
            {
                return typed;
            }

            Errors.Add(type is null ? $"{where}: unknown type \"{name}\"." : $"{where}: \"{name}\" is not {typeof(T).Name}.");
            return null;
        }
    }
}

/// <summary>The schema broke the spec's type system rules; <see cref="Errors"/> lists each problem.</summary>
public sealed class SchemaValidationException : Exception
{
    public SchemaValidationException(IReadOnlyList<string> errors)
        : base("Invalid schema:\n" + string.Join("\n", errors)) => Errors = errors;

    public SchemaValidationException()
        : this([])
    {
    }

    public SchemaValidationException(string message)
        : this([message])
    {
    }

    public SchemaValidationException(string message, Exception innerException)
        : base(message, innerException) => Errors = [message];

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Errors { get; }
}
