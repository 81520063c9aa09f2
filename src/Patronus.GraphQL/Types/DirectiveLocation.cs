namespace Patronus.GraphQL.Types;

/// <summary>Where a directive may appear (spec §3.13 DirectiveLocations).</summary>
public enum DirectiveLocation
{
    Query,
    Mutation,
    Subscription,
    Field,
    FragmentDefinition,
    FragmentSpread,
    InlineFragment,
    VariableDefinition,
    Schema,
    Scalar,
    Object,
    FieldDefinition,
    ArgumentDefinition,
    Interface,
    Union,
    Enum,
    EnumValue,
    InputObject,
    InputFieldDefinition,
}

/// <summary>Spec names (<c>FIELD_DEFINITION</c>) of <see cref="DirectiveLocation"/> values.</summary>
public static class DirectiveLocations
{
    private static readonly string[] s_names =
    [
        "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
        "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION",
    ];

    /// <summary>The spec name of a location.</summary>
    public static string ToSpecName(this DirectiveLocation location) => s_names[(int)location];

    /// <summary>Parses a spec name.</summary>
    public static bool TryParse(string name, out DirectiveLocation location)
    {
        var index = Array.IndexOf(s_names, name);
        location = (DirectiveLocation)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Every location in spec order.</summary>
    public static IReadOnlyList<DirectiveLocation> All { get; } = Enum.GetValues<DirectiveLocation>();
}
