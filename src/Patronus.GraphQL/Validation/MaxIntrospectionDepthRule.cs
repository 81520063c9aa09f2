using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Validation;

/// <summary>
/// graphql-js's recommended MaxIntrospectionDepthRule (part of its specifiedRules since 16.9):
/// below <c>__schema</c> or <c>__type</c>, at most 2 nested list fields named <c>fields</c>,
/// <c>interfaces</c>, <c>possibleTypes</c> or <c>inputFields</c>. Those are the fields through which
/// introspection recurses from a type back to types, each level multiplying the answer by the
/// schema's size; the standard introspection query needs 1. Unlike graphql-js, a fragment's verdict
/// at a given list depth is remembered, so fragments that spread each other twice per level cost
/// linear time, not exponential.
/// </summary>
internal sealed class MaxIntrospectionDepthRule(ValidationContext context) : NodeVisitor
{
    private const int MaxListsDepth = 3;

    private readonly Dictionary<(string Fragment, int Depth), bool> _fragmentVerdicts = [];

    public override bool Enter(Node node)
    {
        if (node is FieldNode { Name.Value: "__schema" or "__type" } field && TooDeep(field, new HashSet<string>(StringComparer.Ordinal), 0))
        {
            context.Report("Maximum introspection depth exceeded", field);
            return false;
        }

        return true;
    }

    private bool TooDeep(SelectionNode node, HashSet<string> visiting, int depth)
    {
        switch (node)
        {
            case FragmentSpreadNode spread:
                {
                    var name = spread.Name.Value;
                    if (_fragmentVerdicts.TryGetValue((name, depth), out var known))
                    {
                        return known;
                    }

                    // Cycles are NoFragmentCycles' to report; unknown fragments KnownFragmentNames'.
                    if (!visiting.Add(name) || context.GetFragment(name) is not { } fragment)
                    {
                        return false;
                    }

                    var verdict = TooDeep(fragment.SelectionSet, visiting, depth);
                    visiting.Remove(name);
                    _fragmentVerdicts[(name, depth)] = verdict;
                    return verdict;
                }

            case FieldNode field:
                if (field.Name.Value is "fields" or "interfaces" or "possibleTypes" or "inputFields" && ++depth >= MaxListsDepth)
                {
                    return true;
                }

                return field.SelectionSet is { } set && TooDeep(set, visiting, depth);
            case InlineFragmentNode inline:
                return TooDeep(inline.SelectionSet, visiting, depth);
            default:
                return false;
        }
    }

    private bool TooDeep(SelectionSetNode set, HashSet<string> visiting, int depth)
    {
        foreach (var selection in set.Selections)
        {
            if (TooDeep(selection, visiting, depth))
            {
                return true;
            }
        }

        return false;
    }
}
