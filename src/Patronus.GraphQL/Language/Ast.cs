namespace Patronus.GraphQL.Language;

/// <summary>Base of every AST node. Nodes are immutable; compare them by reference.</summary>
public abstract record Node
{
    /// <summary>Where the node starts and ends in the parsed source (default for synthesized nodes).</summary>
    public Location Location { get; init; }

    // Nodes are identities (validation keys dictionaries by node); structural equality would be
    // both slow and wrong for two equal-looking fields at different places.
    public virtual bool Equals(Node? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}

/// <summary>A name token.</summary>
public sealed record NameNode(string Value) : Node
{
    public override string ToString() => Value;
}

/// <summary>A whole document: executable and/or type-system definitions.</summary>
public sealed record DocumentNode(IReadOnlyList<DefinitionNode> Definitions) : Node;

/// <summary>Any top-level definition.</summary>
public abstract record DefinitionNode : Node;

/// <summary>Executable definitions: operations and fragments.</summary>
public abstract record ExecutableDefinitionNode : DefinitionNode
{
    /// <summary>The definition's directives.</summary>
    public abstract IReadOnlyList<DirectiveNode> Directives { get; }

    /// <summary>The definition's selection set.</summary>
    public abstract SelectionSetNode SelectionSet { get; }
}

/// <summary>The three operation kinds.</summary>
public enum OperationType
{
    Query,
    Mutation,
    Subscription,
}

/// <summary>An operation definition (the query shorthand has <see cref="Name"/> null and no variables).</summary>
public sealed record OperationDefinitionNode(
    OperationType Operation,
    NameNode? Name,
    IReadOnlyList<VariableDefinitionNode> VariableDefinitions,
    IReadOnlyList<DirectiveNode> OperationDirectives,
    SelectionSetNode OperationSelectionSet) : ExecutableDefinitionNode
{
    public override IReadOnlyList<DirectiveNode> Directives => OperationDirectives;

    public override SelectionSetNode SelectionSet => OperationSelectionSet;
}

/// <summary><c>$name: Type = default @directives</c>.</summary>
public sealed record VariableDefinitionNode(
    VariableNode Variable,
    TypeNode Type,
    ValueNode? DefaultValue,
    IReadOnlyList<DirectiveNode> Directives) : Node;

/// <summary>A fragment definition.</summary>
public sealed record FragmentDefinitionNode(
    NameNode Name,
    NamedTypeNode TypeCondition,
    IReadOnlyList<DirectiveNode> FragmentDirectives,
    SelectionSetNode FragmentSelectionSet) : ExecutableDefinitionNode
{
    public override IReadOnlyList<DirectiveNode> Directives => FragmentDirectives;

    public override SelectionSetNode SelectionSet => FragmentSelectionSet;
}

/// <summary><c>{ selections }</c>.</summary>
public sealed record SelectionSetNode(IReadOnlyList<SelectionNode> Selections) : Node;

/// <summary>A field, fragment spread or inline fragment.</summary>
public abstract record SelectionNode : Node
{
    /// <summary>The selection's directives.</summary>
    public abstract IReadOnlyList<DirectiveNode> Directives { get; }
}

/// <summary><c>alias: name(args) @directives { ... }</c>.</summary>
public sealed record FieldNode(
    NameNode? Alias,
    NameNode Name,
    IReadOnlyList<ArgumentNode> Arguments,
    IReadOnlyList<DirectiveNode> FieldDirectives,
    SelectionSetNode? SelectionSet) : SelectionNode
{
    public override IReadOnlyList<DirectiveNode> Directives => FieldDirectives;

    /// <summary>The response key: the alias if any, else the name.</summary>
    public string ResponseKey => Alias?.Value ?? Name.Value;
}

/// <summary><c>...Name @directives</c>.</summary>
public sealed record FragmentSpreadNode(NameNode Name, IReadOnlyList<DirectiveNode> SpreadDirectives) : SelectionNode
{
    public override IReadOnlyList<DirectiveNode> Directives => SpreadDirectives;
}

/// <summary><c>... on Type @directives { ... }</c>.</summary>
public sealed record InlineFragmentNode(
    NamedTypeNode? TypeCondition,
    IReadOnlyList<DirectiveNode> FragmentDirectives,
    SelectionSetNode SelectionSet) : SelectionNode
{
    public override IReadOnlyList<DirectiveNode> Directives => FragmentDirectives;
}

/// <summary><c>name: value</c>.</summary>
public sealed record ArgumentNode(NameNode Name, ValueNode Value) : Node;

/// <summary><c>@name(args)</c>.</summary>
public sealed record DirectiveNode(NameNode Name, IReadOnlyList<ArgumentNode> Arguments) : Node;

/// <summary>A type reference in a document.</summary>
public abstract record TypeNode : Node;

/// <summary>A named type reference.</summary>
public sealed record NamedTypeNode(NameNode Name) : TypeNode;

/// <summary><c>[Type]</c>.</summary>
public sealed record ListTypeNode(TypeNode Type) : TypeNode;

/// <summary><c>Type!</c>.</summary>
public sealed record NonNullTypeNode(TypeNode Type) : TypeNode;
