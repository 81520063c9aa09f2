using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

/// <summary>
/// §5.3.2 Field Selection Merging, a port of graphql-js OverlappingFieldsCanBeMerged: fields with
/// one response key must be the same field with the same arguments (unless their parents are
/// distinct object types) and must return shapes that can merge.
/// </summary>
internal sealed class OverlappingFieldsCanBeMergedRule(ValidationContext context) : NodeVisitor
{
    private readonly Dictionary<SelectionSetNode, (FieldMap Fields, List<string> Fragments)> _cache = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string, string), bool> _comparedFragmentPairs = [];

    private sealed class FieldMap : OrderedDictionary<string, List<(NamedType? Parent, FieldNode Node, FieldDefinition? Def)>>
    {
        public FieldMap()
            : base(StringComparer.Ordinal)
        {
        }
    }

    private sealed record Reason(string? Message, List<(string ResponseName, Reason Reason)>? Sub)
    {
        public override string ToString() => Message ?? string.Join(
            " and ",
            Sub!.Select(s => $"subfields \"{s.ResponseName}\" conflict because {s.Reason}"));
    }

    private sealed record Conflict(string ResponseName, Reason Reason, List<FieldNode> Fields1, List<FieldNode> Fields2);

    public override bool Enter(Node node)
    {
        if (node is SelectionSetNode selectionSet)
        {
            foreach (var conflict in FindConflictsWithinSelectionSet(context.TypeInfo.ParentType, selectionSet))
            {
                context.Report(
                    $"Fields \"{conflict.ResponseName}\" conflict because {conflict.Reason}. Use different aliases on the fields to fetch both if this was intentional.",
                    [.. conflict.Fields1, .. conflict.Fields2]);
            }
        }

        return true;
    }

    private List<Conflict> FindConflictsWithinSelectionSet(NamedType? parentType, SelectionSetNode selectionSet)
    {
        var conflicts = new List<Conflict>();
        var (fieldMap, fragmentNames) = GetFieldsAndFragmentNames(parentType, selectionSet);
        CollectConflictsWithin(conflicts, fieldMap);
        for (var i = 0; i < fragmentNames.Count; i++)
        {
            CollectConflictsBetweenFieldsAndFragment(conflicts, false, fieldMap, fragmentNames[i], new HashSet<string>(StringComparer.Ordinal));
            for (var j = i + 1; j < fragmentNames.Count; j++)
            {
                CollectConflictsBetweenFragments(conflicts, false, fragmentNames[i], fragmentNames[j]);
            }
        }

        return conflicts;
    }

    private void CollectConflictsBetweenFieldsAndFragment(List<Conflict> conflicts, bool mutuallyExclusive, FieldMap fieldMap, string fragmentName, HashSet<string> visited)
    {
        // The visited set stops fragment cycles (reported by NoFragmentCycles) from recursing forever.
        if (!visited.Add(fragmentName) || context.GetFragment(fragmentName) is not { } fragment)
        {
            return;
        }

        var (fieldMap2, referenced) = GetReferencedFieldsAndFragmentNames(fragment);
        if (ReferenceEquals(fieldMap, fieldMap2))
        {
            return;
        }

        CollectConflictsBetween(conflicts, mutuallyExclusive, fieldMap, fieldMap2);
        foreach (var name in referenced)
        {
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap, name, visited);
        }
    }

    private void CollectConflictsBetweenFragments(List<Conflict> conflicts, bool mutuallyExclusive, string name1, string name2)
    {
        if (name1 == name2)
        {
            return;
        }

        var key = string.CompareOrdinal(name1, name2) < 0 ? (name1, name2) : (name2, name1);
        if (_comparedFragmentPairs.TryGetValue(key, out var storedExclusive) && (mutuallyExclusive || !storedExclusive))
        {
            return;
        }

        _comparedFragmentPairs[key] = mutuallyExclusive;
        if (context.GetFragment(name1) is not { } fragment1 || context.GetFragment(name2) is not { } fragment2)
        {
            return;
        }

        var (fieldMap1, referenced1) = GetReferencedFieldsAndFragmentNames(fragment1);
        var (fieldMap2, referenced2) = GetReferencedFieldsAndFragmentNames(fragment2);
        CollectConflictsBetween(conflicts, mutuallyExclusive, fieldMap1, fieldMap2);
        foreach (var referenced in referenced2)
        {
            CollectConflictsBetweenFragments(conflicts, mutuallyExclusive, name1, referenced);
        }

        foreach (var referenced in referenced1)
        {
            CollectConflictsBetweenFragments(conflicts, mutuallyExclusive, referenced, name2);
        }
    }

    private List<Conflict> FindConflictsBetweenSubSelectionSets(bool mutuallyExclusive, NamedType? parentType1, SelectionSetNode set1, NamedType? parentType2, SelectionSetNode set2)
    {
        var conflicts = new List<Conflict>();
        var (fieldMap1, fragmentNames1) = GetFieldsAndFragmentNames(parentType1, set1);
        var (fieldMap2, fragmentNames2) = GetFieldsAndFragmentNames(parentType2, set2);
        CollectConflictsBetween(conflicts, mutuallyExclusive, fieldMap1, fieldMap2);
        foreach (var name in fragmentNames2)
        {
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap1, name, new HashSet<string>(StringComparer.Ordinal));
        }

        foreach (var name in fragmentNames1)
        {
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap2, name, new HashSet<string>(StringComparer.Ordinal));
        }

        foreach (var name1 in fragmentNames1)
        {
            foreach (var name2 in fragmentNames2)
            {
                CollectConflictsBetweenFragments(conflicts, mutuallyExclusive, name1, name2);
            }
        }

        return conflicts;
    }

    private void CollectConflictsWithin(List<Conflict> conflicts, FieldMap fieldMap)
    {
        foreach (var (responseName, fields) in fieldMap)
        {
            for (var i = 0; i < fields.Count; i++)
            {
                for (var j = i + 1; j < fields.Count; j++)
                {
                    if (FindConflict(false, responseName, fields[i], fields[j]) is { } conflict)
                    {
                        conflicts.Add(conflict);
                    }
                }
            }
        }
    }

    private void CollectConflictsBetween(List<Conflict> conflicts, bool mutuallyExclusive, FieldMap fieldMap1, FieldMap fieldMap2)
    {
        foreach (var (responseName, fields1) in fieldMap1)
        {
            if (!fieldMap2.TryGetValue(responseName, out var fields2))
            {
                continue;
            }

            foreach (var field1 in fields1)
            {
                foreach (var field2 in fields2)
                {
                    if (FindConflict(mutuallyExclusive, responseName, field1, field2) is { } conflict)
                    {
                        conflicts.Add(conflict);
                    }
                }
            }
        }
    }

    private Conflict? FindConflict(
        bool parentsMutuallyExclusive,
        string responseName,
        (NamedType? Parent, FieldNode Node, FieldDefinition? Def) field1,
        (NamedType? Parent, FieldNode Node, FieldDefinition? Def) field2)
    {
        var mutuallyExclusive = parentsMutuallyExclusive
            || (!ReferenceEquals(field1.Parent, field2.Parent) && field1.Parent is ObjectType && field2.Parent is ObjectType);
        var node1 = field1.Node;
        var node2 = field2.Node;
        if (!mutuallyExclusive)
        {
            if (node1.Name.Value != node2.Name.Value)
            {
                return new Conflict(responseName, new Reason($"\"{node1.Name.Value}\" and \"{node2.Name.Value}\" are different fields", null), [node1], [node2]);
            }

            if (!SameArguments(node1.Arguments, node2.Arguments))
            {
                return new Conflict(responseName, new Reason("they have differing arguments", null), [node1], [node2]);
            }
        }

        var type1 = field1.Def?.Type;
        var type2 = field2.Def?.Type;
        if (type1 is not null && type2 is not null && DoTypesConflict(type1, type2))
        {
            return new Conflict(responseName, new Reason($"they return conflicting types \"{type1}\" and \"{type2}\"", null), [node1], [node2]);
        }

        if (node1.SelectionSet is { } set1 && node2.SelectionSet is { } set2)
        {
            var conflicts = FindConflictsBetweenSubSelectionSets(mutuallyExclusive, type1?.NamedType, set1, type2?.NamedType, set2);
            if (conflicts.Count > 0)
            {
                return new Conflict(
                    responseName,
                    new Reason(null, conflicts.Select(c => (c.ResponseName, c.Reason)).ToList()),
                    [node1, .. conflicts.SelectMany(c => c.Fields1)],
                    [node2, .. conflicts.SelectMany(c => c.Fields2)]);
            }
        }

        return null;
    }

    private static bool SameArguments(IReadOnlyList<ArgumentNode> args1, IReadOnlyList<ArgumentNode> args2)
    {
        if (args1.Count != args2.Count)
        {
            return false;
        }

        foreach (var arg1 in args1)
        {
            var arg2 = args2.FirstOrDefault(a => a.Name.Value == arg1.Name.Value);
            if (arg2 is null || Printer.Print(Sorted(arg1.Value)) != Printer.Print(Sorted(arg2.Value)))
            {
                return false;
            }
        }

        return true;
    }

    private static ValueNode Sorted(ValueNode value) => value switch
    {
        ObjectValueNode o => new ObjectValueNode(o.Fields
            .Select(f => new ObjectFieldNode(f.Name, Sorted(f.Value)))
            .OrderBy(f => f.Name.Value, StringComparer.Ordinal)
            .ToList()),
        ListValueNode l => new ListValueNode(l.Values.Select(Sorted).ToList()),
        _ => value,
    };

    private static bool DoTypesConflict(GraphQLType type1, GraphQLType type2)
    {
        if (type1 is ListType list1)
        {
            return type2 is not ListType list2 || DoTypesConflict(list1.OfType, list2.OfType);
        }

        if (type2 is ListType)
        {
            return true;
        }

        if (type1 is NonNullType nonNull1)
        {
            return type2 is not NonNullType nonNull2 || DoTypesConflict(nonNull1.OfType, nonNull2.OfType);
        }

        if (type2 is NonNullType)
        {
            return true;
        }

        return (type1.IsLeafType || type2.IsLeafType) && !ReferenceEquals(type1, type2);
    }

    private (FieldMap Fields, List<string> Fragments) GetFieldsAndFragmentNames(NamedType? parentType, SelectionSetNode selectionSet)
    {
        if (_cache.TryGetValue(selectionSet, out var cached))
        {
            return cached;
        }

        var fieldMap = new FieldMap();
        var fragmentNames = new List<string>();
        Collect(parentType, selectionSet, fieldMap, fragmentNames);
        cached = (fieldMap, fragmentNames);
        _cache[selectionSet] = cached;
        return cached;
    }

    private (FieldMap Fields, List<string> Fragments) GetReferencedFieldsAndFragmentNames(FragmentDefinitionNode fragment)
    {
        if (_cache.TryGetValue(fragment.SelectionSet, out var cached))
        {
            return cached;
        }

        var fragmentType = context.Schema.GetType(fragment.TypeCondition.Name.Value);
        return GetFieldsAndFragmentNames(fragmentType, fragment.SelectionSet);
    }

    private void Collect(NamedType? parentType, SelectionSetNode selectionSet, FieldMap fieldMap, List<string> fragmentNames)
    {
        foreach (var selection in selectionSet.Selections)
        {
            switch (selection)
            {
                case FieldNode field:
                    {
                        var definition = (parentType as FieldsType)?.GetField(field.Name.Value);
                        if (!fieldMap.TryGetValue(field.ResponseKey, out var list))
                        {
                            fieldMap.Add(field.ResponseKey, list = []);
                        }

                        list.Add((parentType, field, definition));
                        break;
                    }

                case FragmentSpreadNode spread:
                    if (!fragmentNames.Contains(spread.Name.Value))
                    {
                        fragmentNames.Add(spread.Name.Value);
                    }

                    break;
                case InlineFragmentNode inline:
                    {
                        var type = inline.TypeCondition is null ? parentType : VariableCoercion.TypeFromAst(context.Schema, inline.TypeCondition) as NamedType;
                        Collect(type, inline.SelectionSet, fieldMap, fragmentNames);
                        break;
                    }
            }
        }
    }
}
