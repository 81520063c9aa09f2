using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Types;

/// <summary>The spec's built-in directives (§3.13) with graphql-js's descriptions.</summary>
public static class Directives
{
    /// <summary>The default deprecation reason.</summary>
    public const string DefaultDeprecationReason = "No longer supported";

    /// <summary><c>@include(if: Boolean!)</c>.</summary>
    public static DirectiveDefinition Include { get; } = Make(
        "include",
        "Directs the executor to include this field or fragment only when the `if` argument is true.",
        [DirectiveLocation.Field, DirectiveLocation.FragmentSpread, DirectiveLocation.InlineFragment],
        Arg("if", new NonNullType(Scalars.Boolean), "Included when true."));

    /// <summary><c>@skip(if: Boolean!)</c>.</summary>
    public static DirectiveDefinition Skip { get; } = Make(
        "skip",
        "Directs the executor to skip this field or fragment when the `if` argument is true.",
        [DirectiveLocation.Field, DirectiveLocation.FragmentSpread, DirectiveLocation.InlineFragment],
        Arg("if", new NonNullType(Scalars.Boolean), "Skipped when true."));

    /// <summary><c>@deprecated(reason: String = "No longer supported")</c>.</summary>
    public static DirectiveDefinition Deprecated { get; } = Make(
        "deprecated",
        "Marks an element of a GraphQL schema as no longer supported.",
        [DirectiveLocation.FieldDefinition, DirectiveLocation.ArgumentDefinition, DirectiveLocation.InputFieldDefinition, DirectiveLocation.EnumValue],
        Arg(
            "reason",
            Scalars.String,
            "Explains why this element was deprecated, usually also including a suggestion for how to access supported similar data. Formatted using the Markdown syntax, as specified by [CommonMark](https://commonmark.org/).",
            DefaultDeprecationReason));

    /// <summary><c>@specifiedBy(url: String!)</c>.</summary>
    public static DirectiveDefinition SpecifiedBy { get; } = Make(
        "specifiedBy",
        "Exposes a URL that specifies the behavior of this scalar.",
        [DirectiveLocation.Scalar],
        Arg("url", new NonNullType(Scalars.String), "The URL that specifies the behavior of this scalar."));

    /// <summary>The four specified directives.</summary>
    public static IReadOnlyList<DirectiveDefinition> Specified { get; } = [Include, Skip, Deprecated, SpecifiedBy];

    /// <summary>Whether a directive is one of the specified ones.</summary>
    public static bool IsSpecified(DirectiveDefinition directive) => Specified.Contains(directive);

    private static DirectiveDefinition Make(string name, string description, DirectiveLocation[] locations, InputValueDefinition argument) =>
        new(name) { Description = description, Locations = locations, Arguments = [argument] };

    private static InputValueDefinition Arg(string name, GraphQLType type, string description, string? defaultValue = null) => new(name)
    {
        Type = type,
        Description = description,
        DefaultValueLiteral = defaultValue is null ? null : new StringValueNode(defaultValue),
        DefaultValue = defaultValue,
    };
}
