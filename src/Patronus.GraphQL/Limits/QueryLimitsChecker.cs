using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Limits;

/// <summary>Measures an operation's depth and complexity and checks them against <see cref="QueryLimits"/>.</summary>
public static class QueryLimitsChecker
{
    /// <summary>
    /// The operation's depths and complexity (see <see cref="QueryLimits"/> for the model). Counting
    /// introspection stops once the complexity exceeds <see cref="QueryLimits.MaxComplexity"/>.
    /// Linear in the document: each selection set is measured once per parent type, however often
    /// fragments repeat it.
    /// </summary>
    public static QueryMeasure Measure(
        Schema schema,
        OperationDefinitionNode operation,
        IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
        IReadOnlyDictionary<string, object?> variables,
        QueryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(limits);
        var execution = new Execution.ExecutionContext(schema, new ExecutorOptions(), operation, fragments, variables, null, CancellationToken.None);
        var introspection = new IntrospectionCost(execution, limits.MaxComplexity is { } max ? max + 1L : long.MaxValue);
        var measurer = new QueryMeasurer(schema, fragments, variables, limits.DefaultListSize, introspection);
        var shape = measurer.Measure(schema.GetRootType(operation.Operation), operation.SelectionSet);
        return new QueryMeasure(shape.Depth, shape.IntrospectionDepth, shape.Complexity);
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
        if (limits.MaxDepth is null && limits.MaxIntrospectionDepth is null && limits.MaxComplexity is null)
        {
            return [];
        }

        var measure = Measure(schema, operation, fragments, variables, limits);
        var errors = new List<GraphQLError>();
        if (measure.Depth > limits.MaxDepth)
        {
            errors.Add(Error($"Query depth {measure.Depth} exceeds the maximum allowed depth of {limits.MaxDepth}.", operation,
                "MAX_DEPTH_EXCEEDED", ("depth", measure.Depth), ("maxDepth", limits.MaxDepth)));
        }

        if (measure.IntrospectionDepth > limits.MaxIntrospectionDepth)
        {
            errors.Add(Error($"Introspection depth {measure.IntrospectionDepth} exceeds the maximum allowed introspection depth of {limits.MaxIntrospectionDepth}.", operation,
                "MAX_INTROSPECTION_DEPTH_EXCEEDED", ("depth", measure.IntrospectionDepth), ("maxDepth", limits.MaxIntrospectionDepth)));
        }

        if (measure.Complexity > limits.MaxComplexity)
        {
            errors.Add(Error($"Query complexity {measure.Complexity} exceeds the maximum allowed complexity of {limits.MaxComplexity}.", operation,
                "MAX_COMPLEXITY_EXCEEDED", ("complexity", measure.Complexity), ("maxComplexity", limits.MaxComplexity)));
        }

        return errors;
    }

    private static GraphQLError Error(string message, OperationDefinitionNode operation, string code, params ReadOnlySpan<(string Key, object? Value)> values)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        foreach (var (key, value) in values)
        {
            extensions[key] = value;
        }

        return GraphQLError.At(message, operation) with { Extensions = extensions };
    }
}
