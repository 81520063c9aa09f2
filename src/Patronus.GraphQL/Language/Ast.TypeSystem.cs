namespace Patronus.GraphQL.Language;

/// <summary>Type-system definitions and extensions (SDL).</summary>
public abstract record TypeSystemDefinitionNode : DefinitionNode
{
    /// <summary>The definition's directives.</summary>
    public IReadOnlyList<DirectiveNode> Directives { get; init; } = [];
}

/// <summary><c>schema { query: Q ... }</c>.</summary>
public sealed record SchemaDefinitionNode(StringValueNode? Description, IReadOnlyList<OperationTypeDefinitionNode> OperationTypes) : TypeSystemDefinitionNode;

/// <summary><c>extend schema ...</c>.</summary>
public sealed record SchemaExtensionNode(IReadOnlyList<OperationTypeDefinitionNode> OperationTypes) : TypeSystemDefinitionNode;

/// <summary><c>query: Type</c> inside a schema definition.</summary>
public sealed record OperationTypeDefinitionNode(OperationType Operation, NamedTypeNode Type) : Node;

/// <summary>A named type definition or extension.</summary>
public abstract record TypeDefinitionNode(StringValueNode? Description, NameNode Name, bool IsExtension) : TypeSystemDefinitionNode;

/// <summary><c>scalar Name</c>.</summary>
public sealed record ScalarTypeDefinitionNode(StringValueNode? Description, NameNode Name, bool IsExtension = false)
    : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary><c>type Name implements I { fields }</c>.</summary>
public sealed record ObjectTypeDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<NamedTypeNode> Interfaces,
    IReadOnlyList<FieldDefinitionNode> Fields,
    bool IsExtension = false) : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary><c>interface Name implements I { fields }</c>.</summary>
public sealed record InterfaceTypeDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<NamedTypeNode> Interfaces,
    IReadOnlyList<FieldDefinitionNode> Fields,
    bool IsExtension = false) : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary><c>union Name = A | B</c>.</summary>
public sealed record UnionTypeDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<NamedTypeNode> Types,
    bool IsExtension = false) : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary><c>enum Name { VALUES }</c>.</summary>
public sealed record EnumTypeDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<EnumValueDefinitionNode> Values,
    bool IsExtension = false) : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary><c>input Name { fields }</c>.</summary>
public sealed record InputObjectTypeDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<InputValueDefinitionNode> Fields,
    bool IsExtension = false) : TypeDefinitionNode(Description, Name, IsExtension);

/// <summary>A field inside an object or interface definition.</summary>
public sealed record FieldDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<InputValueDefinitionNode> Arguments,
    TypeNode Type,
    IReadOnlyList<DirectiveNode> Directives) : Node;

/// <summary>An argument or input field definition.</summary>
public sealed record InputValueDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    TypeNode Type,
    ValueNode? DefaultValue,
    IReadOnlyList<DirectiveNode> Directives) : Node;

/// <summary>An enum value definition.</summary>
public sealed record EnumValueDefinitionNode(StringValueNode? Description, NameNode Name, IReadOnlyList<DirectiveNode> Directives) : Node;

/// <summary><c>directive @name(args) repeatable on LOCATIONS</c>.</summary>
public sealed record DirectiveDefinitionNode(
    StringValueNode? Description,
    NameNode Name,
    IReadOnlyList<InputValueDefinitionNode> Arguments,
    bool Repeatable,
    IReadOnlyList<NameNode> Locations) : TypeSystemDefinitionNode;
