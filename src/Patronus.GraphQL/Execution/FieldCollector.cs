using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Execution;

/// <summary>Spec §6.3.2 CollectFields: groups selections by response key, applying @skip/@include and fragment type conditions.</summary>
internal static class FieldCollector
{
    public static OrderedDictionary<string, List<FieldNode>> Collect(ExecutionContext execution, ObjectType objectType, SelectionSetNode selectionSet)
    {
        var fields = new OrderedDictionary<string, List<FieldNode>>(StringComparer.Ordinal);
        Collect(execution, objectType, selectionSet, fields, new HashSet<string>(StringComparer.Ordinal));
        return fields;
    }

    public static OrderedDictionary<string, List<FieldNode>> CollectSubfields(ExecutionContext execution, ObjectType objectType, IReadOnlyList<FieldNode> fieldNodes)
    {
        var fields = new OrderedDictionary<string, List<FieldNode>>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in fieldNodes)
        {
            if (node.SelectionSet is not null)
            {
                Collect(execution, objectType, node.SelectionSet, fields, visited);
            }
        }

        return fields;
    }

    private static void Collect(
        ExecutionContext execution,
        ObjectType objectType,
        SelectionSetNode selectionSet,
        OrderedDictionary<string, List<FieldNode>> fields,
        HashSet<string> visitedFragments)
    {
        foreach (var selection in selectionSet.Selections)
        {
            if (!ShouldInclude(selection.Directives, execution.Variables))
            {
                continue;
            }

            switch (selection)
            {
                case FieldNode field:
                    if (!fields.TryGetValue(field.ResponseKey, out var list))
                    {
                        list = [];
                        fields.Add(field.ResponseKey, list);
                    }

                    list.Add(field);
                    break;
                case InlineFragmentNode inline:
                    if (inline.TypeCondition is null || DoesFragmentApply(execution.Schema, inline.TypeCondition, objectType))
                    {
                        Collect(execution, objectType, inline.SelectionSet, fields, visitedFragments);
                    }

                    break;
                case FragmentSpreadNode spread:
                    var name = spread.Name.Value;
                    if (!visitedFragments.Add(name) || !execution.Fragments.TryGetValue(name, out var fragment))
                    {
                        continue;
                    }

                    if (DoesFragmentApply(execution.Schema, fragment.TypeCondition, objectType))
                    {
                        Collect(execution, objectType, fragment.SelectionSet, fields, visitedFragments);
                    }

                    break;
            }
        }
    }

    private static bool DoesFragmentApply(Schema schema, NamedTypeNode typeCondition, ObjectType objectType)
    {
        var conditionType = schema.GetType(typeCondition.Name.Value);
        if (conditionType is null)
        {
            return false;
        }

        return ReferenceEquals(conditionType, objectType) || (conditionType.IsAbstractType && schema.IsSubType(conditionType, objectType));
    }

    /// <summary>Evaluates @skip(if:) and @include(if:).</summary>
    public static bool ShouldInclude(IReadOnlyList<DirectiveNode> directives, IReadOnlyDictionary<string, object?> variables)
    {
        foreach (var directive in directives)
        {
            var name = directive.Name.Value;
            if (name is not ("skip" or "include"))
            {
                continue;
            }

            var argument = directive.Arguments.FirstOrDefault(a => a.Name.Value == "if");
            if (argument is null || !InputCoercion.TryValueFromAst(argument.Value, new NonNullType(Scalars.Boolean), variables, out var value) || value is not bool condition)
            {
                continue;
            }

            if (name == "skip" ? condition : !condition)
            {
                return false;
            }
        }

        return true;
    }
}
