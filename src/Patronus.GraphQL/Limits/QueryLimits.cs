using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Limits;

/// <summary>
/// Limits checked after validation and before execution; a request over a limit is rejected whole
/// with one error and nothing runs.
/// </summary>
public sealed record QueryLimits
{
    /// <summary>No limits.</summary>
    public static QueryLimits None { get; } = new();

    /// <summary>Deepest field nesting allowed (root fields are depth 1); null: unlimited (default).</summary>
    public int? MaxDepth { get; init; }

    /// <summary>
    /// Largest complexity allowed; null: unlimited (default). Complexity is the sum over selected
    /// fields of the field's cost (default 1), where a list field multiplies its sub-selection's
    /// complexity by its size: the value of its <c>ListSize</c> argument when given, else
    /// <see cref="DefaultListSize"/>. Fragments on different types all count (an upper bound).
    /// </summary>
    public int? MaxComplexity { get; init; }

    /// <summary>Assumed size of a list field without a size argument (default 10).</summary>
    public int DefaultListSize { get; init; } = 10;
}

/// <summary>Measures an operation's depth and complexity.</summary>
public static class QueryLimitsChecker
{
    /// <summary>The operation's depth and complexity (§ see <see cref="QueryLimits"/> for the model).</summary>
    public static (int Depth, long Complexity) Measure(
        Schema schema,
        OperationDefinitionNode operation,
        IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
        IReadOnlyDictionary<string, object?> variables,
        int defaultListSize = 10)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(operation);
        var measurer = new Measurer(schema, fragments, variables, defaultListSize);
        var root = schema.GetRootType(operation.Operation);
        return measurer.Measure(root, operation.SelectionSet, 0, []);
    }

    /// <summary>Errors for each exceeded limit (empty when within limits).</summary>
    public static IReadOnlyList<GraphQLError> Check(
        Schema schema,
        OperationDefinitionNode operation,
        IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
        IReadOnlyDictionary<string, object?> variables,
        QueryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.MaxDepth is null && limits.MaxComplexity is null)
        {
            return [];
        }

        var (depth, complexity) = Measure(schema, operation, fragments, variables, limits.DefaultListSize);
        var errors = new List<GraphQLError>();
        if (depth > limits.MaxDepth)
        {
            errors.Add(GraphQLError.At($"Query depth {depth} exceeds the maximum allowed depth of {limits.MaxDepth}.", operation) with
            {
                Extensions = new Dictionary<string, object?> { ["code"] = "MAX_DEPTH_EXCEEDED", ["depth"] = depth, ["maxDepth"] = limits.MaxDepth },
            });
        }

        if (complexity > limits.MaxComplexity)
        {
            errors.Add(GraphQLError.At($"Query complexity {complexity} exceeds the maximum allowed complexity of {limits.MaxComplexity}.", operation) with
            {
                Extensions = new Dictionary<string, object?> { ["code"] = "MAX_COMPLEXITY_EXCEEDED", ["complexity"] = complexity, ["maxComplexity"] = limits.MaxComplexity },
            });
        }

        return errors;
    }

    private sealed class Measurer(
        Schema schema,
        IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
        IReadOnlyDictionary<string, object?> variables,
        int defaultListSize)
    {
        public (int Depth, long Complexity) Measure(NamedType? parentType, SelectionSetNode set, int depth, HashSet<string> fragmentPath)
        {
            var maxDepth = depth;
            long complexity = 0;
            foreach (var selection in set.Selections)
            {
                if (!FieldCollector.ShouldInclude(selection.Directives, variables))
                {
                    continue;
                }

                (int Depth, long Complexity) inner;
                switch (selection)
                {
                    case FieldNode field:
                        {
                            if (field.Name.Value == "__typename")
                            {
                                continue;
                            }

                            var definition = parentType is null ? null : Validation.TypeInfo.GetFieldDef(schema, parentType, field.Name.Value);
                            var childType = definition?.Type.NamedType;
                            var child = field.SelectionSet is null ? (depth + 1, 0L) : Measure(childType, field.SelectionSet, depth + 1, fragmentPath);
                            var multiplier = definition is not null && IsList(definition.Type) ? ListSize(definition, field) : 1;
                            inner = (child.Item1, Saturate((definition?.Cost ?? 1) + (multiplier * child.Item2)));
                            break;
                        }

                    case InlineFragmentNode inline:
                        inner = Measure(inline.TypeCondition is null ? parentType : schema.GetType(inline.TypeCondition.Name.Value), inline.SelectionSet, depth, fragmentPath);
                        break;
                    case FragmentSpreadNode spread when fragments.TryGetValue(spread.Name.Value, out var fragment) && fragmentPath.Add(spread.Name.Value):
                        inner = Measure(schema.GetType(fragment.TypeCondition.Name.Value), fragment.SelectionSet, depth, fragmentPath);
                        fragmentPath.Remove(spread.Name.Value);
                        break;
                    default:
                        continue;
                }

                maxDepth = Math.Max(maxDepth, inner.Depth);
                complexity = Saturate(complexity + inner.Complexity);
            }

            return (maxDepth, complexity);
        }

        private static long Saturate(long value) => Math.Min(value, long.MaxValue / 4);

        private static bool IsList(GraphQLType type) => type.Nullable is ListType;

        private long ListSize(FieldDefinition definition, FieldNode field)
        {
            if (definition.ListSizeArgument is { } name && field.Arguments.FirstOrDefault(a => a.Name.Value == name) is { } argument
                && definition.GetArgument(name) is { } argumentDefinition
                && InputCoercion.TryValueFromAst(argument.Value, argumentDefinition.Type, variables, out var value) && value is int size)
            {
                return Math.Max(size, 0);
            }

            return defaultListSize;
        }
    }
}
