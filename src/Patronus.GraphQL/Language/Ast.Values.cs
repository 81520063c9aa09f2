namespace Patronus.GraphQL.Language;

/// <summary>A literal or variable in a document.</summary>
public abstract record ValueNode : Node;

/// <summary><c>$name</c>.</summary>
public sealed record VariableNode(NameNode Name) : ValueNode;

/// <summary>An integer literal, kept as its source text.</summary>
public sealed record IntValueNode(string Value) : ValueNode;

/// <summary>A float literal, kept as its source text.</summary>
public sealed record FloatValueNode(string Value) : ValueNode;

/// <summary>A string literal with escapes resolved (block strings dedented).</summary>
public sealed record StringValueNode(string Value, bool Block = false) : ValueNode;

/// <summary><c>true</c> or <c>false</c>.</summary>
public sealed record BooleanValueNode(bool Value) : ValueNode;

/// <summary><c>null</c>.</summary>
public sealed record NullValueNode : ValueNode;

/// <summary>An enum value name.</summary>
public sealed record EnumValueNode(string Value) : ValueNode;

/// <summary><c>[values]</c>.</summary>
public sealed record ListValueNode(IReadOnlyList<ValueNode> Values) : ValueNode;

/// <summary><c>{ fields }</c>.</summary>
public sealed record ObjectValueNode(IReadOnlyList<ObjectFieldNode> Fields) : ValueNode;

/// <summary><c>name: value</c> inside an object literal.</summary>
public sealed record ObjectFieldNode(NameNode Name, ValueNode Value) : Node;
