using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Execution;

/// <summary>Spec §6.4.1 CoerceArgumentValues (graphql-js getArgumentValues).</summary>
internal static class ArgumentValues
{
    private static readonly IReadOnlyDictionary<string, object?> s_empty = new Dictionary<string, object?>();

    public static IReadOnlyDictionary<string, object?> Get(
        IReadOnlyList<InputValueDefinition> definitions,
        IReadOnlyList<ArgumentNode> nodes,
        IReadOnlyDictionary<string, object?> variables,
        Node at)
    {
        if (definitions.Count == 0)
        {
            return s_empty;
        }

        var coerced = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            var name = definition.Name;
            var node = nodes.FirstOrDefault(n => n.Name.Value == name);
            if (node is null)
            {
                if (definition.HasDefaultValue)
                {
                    coerced[name] = definition.DefaultValue;
                }
                else if (definition.Type is NonNullType)
                {
                    throw new ArgumentCoercionException($"Argument \"{name}\" of required type \"{definition.Type}\" was not provided.", at);
                }

                continue;
            }

            var valueNode = node.Value;
            var isNull = valueNode is NullValueNode;
            if (valueNode is VariableNode variable)
            {
                if (!variables.TryGetValue(variable.Name.Value, out var variableValue))
                {
                    if (definition.HasDefaultValue)
                    {
                        coerced[name] = definition.DefaultValue;
                    }
                    else if (definition.Type is NonNullType)
                    {
                        throw new ArgumentCoercionException(
                            $"Argument \"{name}\" of required type \"{definition.Type}\" was provided the variable \"${variable.Name.Value}\" which was not provided a runtime value.",
                            valueNode);
                    }

                    continue;
                }

                isNull = variableValue is null;
            }

            if (isNull && definition.Type is NonNullType)
            {
                throw new ArgumentCoercionException($"Argument \"{name}\" of non-null type \"{definition.Type}\" must not be null.", valueNode);
            }

            if (!InputCoercion.TryValueFromAst(valueNode, definition.Type, variables, out var value))
            {
                throw new ArgumentCoercionException($"Argument \"{name}\" has invalid value {Printer.Print(valueNode)}.", valueNode);
            }

            coerced[name] = value;
        }

        return coerced;
    }
}

/// <summary>An argument could not be coerced at execution time (a field error located at the argument).</summary>
internal sealed class ArgumentCoercionException : Exception
{
    public ArgumentCoercionException(string message, Node node)
        : base(message) => Locations = [node.Location.StartLocation];

    public ArgumentCoercionException()
    {
    }

    public ArgumentCoercionException(string message)
        : base(message)
    {
    }

    public ArgumentCoercionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IReadOnlyList<SourceLocation> Locations { get; } = [];
}
