using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

// Spec §5.8 Variables.

/// <summary>§5.8.1 Variable Uniqueness.</summary>
internal sealed class UniqueVariableNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is OperationDefinitionNode operation)
        {
            foreach (var group in operation.VariableDefinitions.GroupBy(v => v.Variable.Name.Value, StringComparer.Ordinal))
            {
                if (group.Count() > 1)
                {
                    context.Report($"There can be only one variable named \"${group.Key}\".", group.Select(v => (Node?)v.Variable.Name).ToArray());
                }
            }
        }

        return true;
    }
}

/// <summary>§5.8.3 All Variable Uses Defined.</summary>
internal sealed class NoUndefinedVariablesRule(ValidationContext context) : NodeVisitor
{
    public override void Leave(Node node)
    {
        if (node is not OperationDefinitionNode operation)
        {
            return;
        }

        var defined = operation.VariableDefinitions.Select(v => v.Variable.Name.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var usage in context.GetRecursiveVariableUsages(operation))
        {
            var name = usage.Node.Name.Value;
            if (!defined.Contains(name))
            {
                context.Report(
                    operation.Name is null ? $"Variable \"${name}\" is not defined." : $"Variable \"${name}\" is not defined by operation \"{operation.Name.Value}\".",
                    usage.Node,
                    operation);
            }
        }
    }
}

/// <summary>§5.8.4 All Variables Used.</summary>
internal sealed class NoUnusedVariablesRule(ValidationContext context) : NodeVisitor
{
    public override void Leave(Node node)
    {
        if (node is not OperationDefinitionNode operation)
        {
            return;
        }

        var used = context.GetRecursiveVariableUsages(operation).Select(u => u.Node.Name.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var definition in operation.VariableDefinitions)
        {
            var name = definition.Variable.Name.Value;
            if (!used.Contains(name))
            {
                context.Report(
                    operation.Name is null ? $"Variable \"${name}\" is never used." : $"Variable \"${name}\" is never used in operation \"{operation.Name.Value}\".",
                    definition);
            }
        }
    }
}

/// <summary>§5.8.5 All Variable Usages Are Allowed.</summary>
internal sealed class VariablesInAllowedPositionRule(ValidationContext context) : NodeVisitor
{
    public override void Leave(Node node)
    {
        if (node is not OperationDefinitionNode operation)
        {
            return;
        }

        var definitions = new Dictionary<string, VariableDefinitionNode>(StringComparer.Ordinal);
        foreach (var definition in operation.VariableDefinitions)
        {
            definitions.TryAdd(definition.Variable.Name.Value, definition);
        }

        foreach (var usage in context.GetRecursiveVariableUsages(operation))
        {
            var name = usage.Node.Name.Value;
            if (!definitions.TryGetValue(name, out var definition) || usage.Type is null)
            {
                continue;
            }

            var variableType = VariableCoercion.TypeFromAst(context.Schema, definition.Type);
            if (variableType is not null && !Allowed(variableType, definition.DefaultValue, usage.Type, usage.DefaultValueOwner))
            {
                context.Report($"Variable \"${name}\" of type \"{variableType}\" used in position expecting type \"{usage.Type}\".", definition, usage.Node);
            }
        }
    }

    private bool Allowed(GraphQLType variableType, ValueNode? variableDefault, GraphQLType locationType, InputValueDefinition? locationDefaultOwner)
    {
        if (locationType is NonNullType nonNullLocation && variableType is not NonNullType)
        {
            var hasNonNullVariableDefault = variableDefault is not null and not NullValueNode;
            var hasLocationDefault = locationDefaultOwner?.HasDefaultValue == true;
            if (!hasNonNullVariableDefault && !hasLocationDefault)
            {
                return false;
            }

            return context.Schema.IsTypeSubTypeOf(variableType, nonNullLocation.OfType);
        }

        return context.Schema.IsTypeSubTypeOf(variableType, locationType);
    }
}
