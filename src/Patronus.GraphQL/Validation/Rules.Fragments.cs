using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

// Spec §5.5 Fragments.

/// <summary>§5.5.1.1 Fragment Name Uniqueness.</summary>
internal sealed class UniqueFragmentNamesRule(ValidationContext context) : NodeVisitor
{
    private readonly Dictionary<string, NameNode> _names = new(StringComparer.Ordinal);

    public override bool Enter(Node node)
    {
        if (node is FragmentDefinitionNode fragment)
        {
            if (_names.TryGetValue(fragment.Name.Value, out var first))
            {
                context.Report($"There can be only one fragment named \"{fragment.Name.Value}\".", first, fragment.Name);
            }
            else
            {
                _names[fragment.Name.Value] = fragment.Name;
            }
        }

        return true;
    }
}

/// <summary>§5.5.2.1 Fragment spread target defined.</summary>
internal sealed class KnownFragmentNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is FragmentSpreadNode spread && context.GetFragment(spread.Name.Value) is null)
        {
            context.Report($"Unknown fragment \"{spread.Name.Value}\".", spread.Name);
        }

        return true;
    }
}

/// <summary>§5.5.1.4 Fragments Must Be Used.</summary>
internal sealed class NoUnusedFragmentsRule(ValidationContext context) : NodeVisitor
{
    public override void Leave(Node node)
    {
        if (node is not DocumentNode document)
        {
            return;
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in document.Definitions.OfType<OperationDefinitionNode>())
        {
            foreach (var fragment in context.GetRecursivelyReferencedFragments(operation))
            {
                used.Add(fragment.Name.Value);
            }
        }

        foreach (var fragment in document.Definitions.OfType<FragmentDefinitionNode>())
        {
            if (!used.Contains(fragment.Name.Value))
            {
                context.Report($"Fragment \"{fragment.Name.Value}\" is never used.", fragment);
            }
        }
    }
}

/// <summary>§5.5.2.3 Fragment spread is possible.</summary>
internal sealed class PossibleFragmentSpreadsRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        switch (node)
        {
            case InlineFragmentNode inline:
                {
                    if (context.TypeInfo.Type is NamedType { IsCompositeType: true } fragmentType
                        && context.TypeInfo.ParentType is { IsCompositeType: true } parentType
                        && !context.Schema.DoTypesOverlap(fragmentType, parentType))
                    {
                        context.Report($"Fragment cannot be spread here as objects of type \"{parentType.Name}\" can never be of type \"{fragmentType.Name}\".", inline);
                    }

                    break;
                }

            case FragmentSpreadNode spread:
                {
                    var fragment = context.GetFragment(spread.Name.Value);
                    if (fragment is not null
                        && context.Schema.GetType(fragment.TypeCondition.Name.Value) is { IsCompositeType: true } fragmentType
                        && context.TypeInfo.ParentType is { IsCompositeType: true } parentType
                        && !context.Schema.DoTypesOverlap(fragmentType, parentType))
                    {
                        context.Report($"Fragment \"{spread.Name.Value}\" cannot be spread here as objects of type \"{parentType.Name}\" can never be of type \"{fragmentType.Name}\".", spread);
                    }

                    break;
                }
        }

        return true;
    }
}

/// <summary>§5.5.2.2 Fragment spreads must not form cycles (graphql-js NoFragmentCycles).</summary>
internal sealed class NoFragmentCyclesRule(ValidationContext context) : NodeVisitor
{
    private readonly HashSet<string> _visited = new(StringComparer.Ordinal);
    private readonly List<FragmentSpreadNode> _spreadPath = [];
    private readonly Dictionary<string, int> _spreadPathIndex = new(StringComparer.Ordinal);

    public override bool Enter(Node node)
    {
        if (node is FragmentDefinitionNode fragment)
        {
            Detect(fragment);
            return false;
        }

        return node is DocumentNode;
    }

    private void Detect(FragmentDefinitionNode fragment)
    {
        var name = fragment.Name.Value;
        if (!_visited.Add(name))
        {
            return;
        }

        var spreads = context.GetFragmentSpreads(fragment.SelectionSet);
        if (spreads.Count == 0)
        {
            return;
        }

        _spreadPathIndex[name] = _spreadPath.Count;
        foreach (var spread in spreads)
        {
            var spreadName = spread.Name.Value;
            _spreadPath.Add(spread);
            if (!_spreadPathIndex.TryGetValue(spreadName, out var cycleIndex))
            {
                if (context.GetFragment(spreadName) is { } target)
                {
                    Detect(target);
                }
            }
            else
            {
                var cyclePath = _spreadPath.Skip(cycleIndex).ToList();
                var via = cyclePath.Take(cyclePath.Count - 1).Select(s => $"\"{s.Name.Value}\"").ToList();
                context.Report(
                    $"Cannot spread fragment \"{spreadName}\" within itself" + (via.Count > 0 ? $" via {string.Join(", ", via)}." : "."),
                    cyclePath.Cast<Node?>().ToArray());
            }

            _spreadPath.RemoveAt(_spreadPath.Count - 1);
        }

        _spreadPathIndex.Remove(name);
    }
}
