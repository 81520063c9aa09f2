using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Introspection;

/// <summary>The spec's introspection types (§4.5) and meta-fields __schema, __type, __typename.</summary>
public static class IntrospectionTypes
{
    static IntrospectionTypes()
    {
        var boolean = Scalars.Boolean;
        var str = Scalars.String;
        TypeKind = new EnumType("__TypeKind", "An enum describing what kind of type a given `__Type` is.");
        TypeKind.SetValues(new[] { "SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT", "LIST", "NON_NULL" }
            .Select(n => new EnumValueDefinition(n, n)).ToList());
        DirectiveLocationType = new EnumType("__DirectiveLocation", "A Directive can be adjacent to many parts of the GraphQL language, a __DirectiveLocation describes one such possible adjacencies.");
        DirectiveLocationType.SetValues(DirectiveLocations.All.Select(l => new EnumValueDefinition(l.ToSpecName(), l)).ToList());
        Schema = new ObjectType("__Schema", "A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations.");
        Type = new ObjectType("__Type", "The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.\n\nDepending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.");
        Field = new ObjectType("__Field", "Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type.");
        InputValue = new ObjectType("__InputValue", "Arguments provided to Fields or Directives and the input fields of an InputObject are represented as Input Values which describe their type and optionally a default value.");
        EnumValue = new ObjectType("__EnumValue", "One possible value for a given Enum. Enum values are unique values, not a placeholder for a string or numeric value. However an Enum value is returned in a JSON response as a string.");
        Directive = new ObjectType("__Directive", "A Directive provides a way to describe alternate runtime execution and validation behavior in a GraphQL document.\n\nIn some cases, you need to provide options to alter GraphQL's execution behavior in ways field arguments will not suffice, such as conditionally including or skipping a field. Directives provide this by describing them to the executor.");

        GraphQLType NN(GraphQLType t) => new NonNullType(t);
        GraphQLType ListNN(GraphQLType t) => new ListType(new NonNullType(t));

        Schema.SetFields(
        [
            F("description", str, c => c.Parent<Schema>().Description),
            F("types", NN(ListNN(Type)), c => c.Parent<Schema>().Types, "A list of all types supported by this server."),
            F("queryType", NN(Type), c => c.Parent<Schema>().Query, "The type that query operations will be rooted at."),
            F("mutationType", Type, c => c.Parent<Schema>().Mutation, "If this server supports mutation, the type that mutation operations will be rooted at."),
            F("subscriptionType", Type, c => c.Parent<Schema>().Subscription, "If this server support subscription, the type that subscription operations will be rooted at."),
            F("directives", NN(ListNN(Directive)), c => c.Parent<Schema>().Directives, "A list of all directives supported by this server."),
        ]);
        Type.SetFields(
        [
            F("kind", NN(TypeKind), c => KindOf(c.Parent<GraphQLType>())),
            F("name", str, c => (c.Source as NamedType)?.Name),
            F("description", str, c => (c.Source as NamedType)?.Description),
            F("specifiedByURL", str, c => (c.Source as ScalarType)?.SpecifiedByUrl),
            F("fields", ListNN(Field), c => c.Source is FieldsType t ? t.Fields.Where(f => IncludeDeprecated(c) || !f.IsDeprecated).ToList() : null, null, IncludeDeprecatedArg()),
            F("interfaces", ListNN(Type), c => (c.Source as FieldsType)?.Interfaces),
            F("possibleTypes", ListNN(Type), c => c.Source is InterfaceType or UnionType ? c.Schema.GetPossibleTypes((NamedType)c.Source) : null),
            F("enumValues", ListNN(EnumValue), c => c.Source is EnumType e ? e.Values.Where(v => IncludeDeprecated(c) || !v.IsDeprecated).ToList() : null, null, IncludeDeprecatedArg()),
            F("inputFields", ListNN(InputValue), c => c.Source is InputObjectType i ? i.Fields.Where(f => IncludeDeprecated(c) || !f.IsDeprecated).ToList() : null, null, IncludeDeprecatedArg()),
            F("ofType", Type, c => c.Source switch { ListType l => l.OfType, NonNullType n => n.OfType, _ => null }),
        ]);
        Field.SetFields(
        [
            F("name", NN(str), c => c.Parent<FieldDefinition>().Name),
            F("description", str, c => c.Parent<FieldDefinition>().Description),
            F("args", NN(ListNN(InputValue)), c => c.Parent<FieldDefinition>().Arguments.Where(a => IncludeDeprecated(c) || !a.IsDeprecated).ToList(), null, IncludeDeprecatedArg()),
            F("type", NN(Type), c => c.Parent<FieldDefinition>().Type),
            F("isDeprecated", NN(boolean), c => c.Parent<FieldDefinition>().IsDeprecated),
            F("deprecationReason", str, c => c.Parent<FieldDefinition>().DeprecationReason),
        ]);
        InputValue.SetFields(
        [
            F("name", NN(str), c => c.Parent<InputValueDefinition>().Name),
            F("description", str, c => c.Parent<InputValueDefinition>().Description),
            F("type", NN(Type), c => c.Parent<InputValueDefinition>().Type),
            F("defaultValue", str, c => DefaultValueText(c.Parent<InputValueDefinition>()), "A GraphQL-formatted string representing the default value for this input value."),
            F("isDeprecated", NN(boolean), c => c.Parent<InputValueDefinition>().IsDeprecated),
            F("deprecationReason", str, c => c.Parent<InputValueDefinition>().DeprecationReason),
        ]);
        EnumValue.SetFields(
        [
            F("name", NN(str), c => c.Parent<EnumValueDefinition>().Name),
            F("description", str, c => c.Parent<EnumValueDefinition>().Description),
            F("isDeprecated", NN(boolean), c => c.Parent<EnumValueDefinition>().IsDeprecated),
            F("deprecationReason", str, c => c.Parent<EnumValueDefinition>().DeprecationReason),
        ]);
        Directive.SetFields(
        [
            F("name", NN(str), c => c.Parent<DirectiveDefinition>().Name),
            F("description", str, c => c.Parent<DirectiveDefinition>().Description),
            F("isRepeatable", NN(boolean), c => c.Parent<DirectiveDefinition>().IsRepeatable),
            F("locations", NN(ListNN(DirectiveLocationType)), c => c.Parent<DirectiveDefinition>().Locations.Cast<object>().ToList()),
            F("args", NN(ListNN(InputValue)), c => c.Parent<DirectiveDefinition>().Arguments.Where(a => IncludeDeprecated(c) || !a.IsDeprecated).ToList(), null, IncludeDeprecatedArg()),
        ]);

        SchemaField = F("__schema", NN(Schema), c => c.Schema, "Access the current type schema of this server.");
        var nameArg = new InputValueDefinition("name") { Type = NN(str) };
        TypeField = F("__type", Type, c => c.Schema.GetType(c.Argument<string>("name")), "Request the type information of a single type.", nameArg);
        TypeNameField = F("__typename", NN(str), c => c.ParentType.Name, "The name of the current Object type at runtime.");
        All = [Schema, Directive, DirectiveLocationType, Type, Field, InputValue, EnumValue, TypeKind];
    }

    /// <summary>__Schema.</summary>
    public static ObjectType Schema { get; }

    /// <summary>__Type.</summary>
    public static ObjectType Type { get; }

    /// <summary>__Field.</summary>
    public static ObjectType Field { get; }

    /// <summary>__InputValue.</summary>
    public static ObjectType InputValue { get; }

    /// <summary>__EnumValue.</summary>
    public static ObjectType EnumValue { get; }

    /// <summary>__Directive.</summary>
    public static ObjectType Directive { get; }

    /// <summary>__TypeKind.</summary>
    public static EnumType TypeKind { get; }

    /// <summary>__DirectiveLocation.</summary>
    public static EnumType DirectiveLocationType { get; }

    /// <summary>Every introspection type.</summary>
    public static IReadOnlyList<NamedType> All { get; }

    /// <summary>The <c>__schema</c> meta-field of the query root.</summary>
    public static FieldDefinition SchemaField { get; }

    /// <summary>The <c>__type(name:)</c> meta-field of the query root.</summary>
    public static FieldDefinition TypeField { get; }

    /// <summary>The <c>__typename</c> meta-field of every composite type.</summary>
    public static FieldDefinition TypeNameField { get; }

    private static string KindOf(GraphQLType type) => type switch
    {
        ScalarType => "SCALAR",
        ObjectType => "OBJECT",
        InterfaceType => "INTERFACE",
        UnionType => "UNION",
        EnumType => "ENUM",
        InputObjectType => "INPUT_OBJECT",
        ListType => "LIST",
        _ => "NON_NULL",
    };

    private static string? DefaultValueText(InputValueDefinition value)
    {
        if (!value.HasDefaultValue)
        {
            return null;
        }

        var literal = InputCoercion.AstFromValue(value.DefaultValue, value.Type) ?? value.DefaultValueLiteral!;
        return Printer.Print(literal);
    }

    private static bool IncludeDeprecated(ResolveContext context) => context.Argument("includeDeprecated", false);

    private static InputValueDefinition IncludeDeprecatedArg() => new("includeDeprecated")
    {
        Type = Scalars.Boolean,
        DefaultValueLiteral = new BooleanValueNode(false),
        DefaultValue = false,
    };

    private static FieldDefinition F(string name, GraphQLType type, Func<ResolveContext, object?> resolve, string? description = null, params InputValueDefinition[] arguments) => new(name)
    {
        Type = type,
        Description = description,
        Arguments = arguments,
        Resolver = c => new ValueTask<object?>(resolve(c)),
    };
}
