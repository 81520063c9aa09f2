using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Execution;

/// <summary>Spec §6.4.1 CoerceVariableValues with graphql-js's messages.</summary>
internal static class VariableCoercion
{
    public static Dictionary<string, object?> Coerce(
        Schema schema,
        IReadOnlyList<VariableDefinitionNode> definitions,
        IReadOnlyDictionary<string, object?>? inputs,
        int maxErrors,
        out List<GraphQLError> errors)
    {
        var coerced = new Dictionary<string, object?>(StringComparer.Ordinal);
        var found = new List<GraphQLError>();
        errors = found;
        inputs ??= new Dictionary<string, object?>();
        foreach (var definition in definitions)
        {
            if (found.Count >= maxErrors)
            {
                found.Add(new GraphQLError("Too many errors processing variables, error limit reached. Execution aborted."));
                break;
            }

            var name = definition.Variable.Name.Value;
            var type = TypeFromAst(schema, definition.Type);
            if (type is null || !type.IsInputType)
            {
                found.Add(GraphQLError.At($"Variable \"${name}\" expected value of type \"{Printer.Print(definition.Type)}\" which cannot be used as an input type.", definition.Type));
                continue;
            }

            if (!inputs.TryGetValue(name, out var value))
            {
                if (definition.DefaultValue is not null)
                {
                    if (InputCoercion.TryValueFromAst(definition.DefaultValue, type, null, out var defaultValue))
                    {
                        coerced[name] = defaultValue;
                    }
                }
                else if (type is NonNullType)
                {
                    found.Add(GraphQLError.At($"Variable \"${name}\" of required type \"{type}\" was not provided.", definition));
                }

                continue;
            }

            if (value is null && type is NonNullType)
            {
                found.Add(GraphQLError.At($"Variable \"${name}\" of non-null type \"{type}\" must not be null.", definition));
                continue;
            }

            coerced[name] = InputCoercion.CoerceInputValue(value, type, (path, invalid, message) =>
            {
                var at = path.Count > 0 ? $" at \"{name}{PrintPath(path)}\"" : string.Empty;
                found.Add(GraphQLError.At($"Variable \"${name}\" got invalid value {Inspect.Value(invalid)}{at}; {message}", definition));
            });
        }

        return coerced;
    }

    internal static GraphQLType? TypeFromAst(Schema schema, TypeNode node) => node switch
    {
        NonNullTypeNode n => TypeFromAst(schema, n.Type) is { } inner and not NonNullType ? new NonNullType(inner) : null,
        ListTypeNode l => TypeFromAst(schema, l.Type) is { } item ? new ListType(item) : null,
        NamedTypeNode named => schema.GetType(named.Name.Value),
        _ => null,
    };

    private static string PrintPath(IReadOnlyList<object> path) =>
        string.Concat(path.Select(key => key is int i ? $"[{i}]" : $".{key}"));
}
