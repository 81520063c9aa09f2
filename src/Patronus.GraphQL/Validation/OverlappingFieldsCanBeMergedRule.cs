using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

/// <summary>
/// §5.3.2 Field Selection Merging, a port of graphql-js OverlappingFieldsCanBeMerged: fields with
/// one response key must be the same field with the same arguments (unless their parents are
/// distinct object types) and must return shapes that can merge.
/// </summary>
/// <remarks>
/// graphql-js compares every pair of fields with one response name, so n copies of a field cost
/// n²/2 comparisons: 60,000 <c>__typename</c> took about a minute. Here identical copies are grouped
/// while collecting (<see cref="FieldGroup"/>) and one comparison stands for all pairs of two groups:
/// copies of a leaf never conflict with each other, and a pair of groups conflicts exactly when their
/// first members do, in which case every pair is reported as graphql-js reports them. So the work
/// grows with the number of distinct fields per response name, not with copies. At most
/// <see cref="ValidationContext.MaxErrors"/> conflicts are collected per comparison (validation stops
/// reporting there anyway), and the request's deadline is checked per comparison.
/// </remarks>
internal sealed partial class OverlappingFieldsCanBeMergedRule(ValidationContext context) : NodeVisitor
{
    private readonly Dictionary<(string, string), bool> _comparedFragmentPairs = [];
    private readonly Dictionary<(FieldMap, string), bool> _comparedFieldsAndFragmentPairs = new(FieldMapKeyComparer.Instance);

    private sealed record Reason(string? Message, List<(string ResponseName, Reason Reason)>? Sub)
    {
        public override string ToString() => Message ?? string.Join(
            " and ",
            Sub!.Select(s => $"subfields \"{s.ResponseName}\" conflict because {s.Reason}"));
    }

    private sealed record Conflict(string ResponseName, Reason Reason, List<FieldNode> Fields1, List<FieldNode> Fields2);

    private bool Full(List<Conflict> conflicts) => conflicts.Count >= context.MaxErrors;

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
            CollectConflictsBetweenFieldsAndFragment(conflicts, false, fieldMap, fragmentNames[i]);
            for (var j = i + 1; j < fragmentNames.Count; j++)
            {
                CollectConflictsBetweenFragments(conflicts, false, fragmentNames[i], fragmentNames[j]);
            }
        }

        return conflicts;
    }

    private void CollectConflictsBetweenFieldsAndFragment(List<Conflict> conflicts, bool mutuallyExclusive, FieldMap fieldMap, string fragmentName)
    {
        // Memoized as graphql-js does (16.9+): each field map meets each fragment once, which also
        // ends fragment cycles (NoFragmentCycles reports those).
        if (_comparedFieldsAndFragmentPairs.TryGetValue((fieldMap, fragmentName), out var storedExclusive) && (mutuallyExclusive || !storedExclusive))
        {
            return;
        }

        _comparedFieldsAndFragmentPairs[(fieldMap, fragmentName)] = mutuallyExclusive;
        if (context.GetFragment(fragmentName) is not { } fragment)
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
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap, name);
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
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap1, name);
        }

        foreach (var name in fragmentNames1)
        {
            CollectConflictsBetweenFieldsAndFragment(conflicts, mutuallyExclusive, fieldMap2, name);
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
        foreach (var (responseName, groups) in fieldMap)
        {
            for (var i = 0; i < groups.Count && !Full(conflicts); i++)
            {
                // Copies of a leaf are the same field with the same arguments: nothing to compare.
                // Copies with sub-selections conflict with each other only when their sub-selections
                // do, which the first two show for all.
                var group = groups[i];
                if (!group.IsLeaf && group.Members.Count > 1)
                {
                    CollectPairs(conflicts, false, responseName, group, group, inOrder: true);
                }

                for (var j = i + 1; j < groups.Count && !Full(conflicts); j++)
                {
                    CollectPairs(conflicts, false, responseName, group, groups[j], inOrder: true);
                }
            }
        }
    }

    private void CollectConflictsBetween(List<Conflict> conflicts, bool mutuallyExclusive, FieldMap fieldMap1, FieldMap fieldMap2)
    {
        foreach (var (responseName, groups1) in fieldMap1)
        {
            if (!fieldMap2.TryGetValue(responseName, out var groups2))
            {
                continue;
            }

            foreach (var group1 in groups1)
            {
                foreach (var group2 in groups2)
                {
                    if (Full(conflicts))
                    {
                        return;
                    }

                    CollectPairs(conflicts, mutuallyExclusive, responseName, group1, group2, inOrder: false);
                }
            }
        }
    }

    /// <summary>
    /// The conflicts between every member of <paramref name="group1"/> and every member of
    /// <paramref name="group2"/> (each pair once when they are the same group), from one comparison
    /// of their first members when that finds none. Within one field map (<paramref name="inOrder"/>)
    /// a pair is compared in document order, as graphql-js does: its message names that field first.
    /// </summary>
    private void CollectPairs(List<Conflict> conflicts, bool mutuallyExclusive, string responseName, FieldGroup group1, FieldGroup group2, bool inOrder)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var same = ReferenceEquals(group1, group2);
        if (same && group1.Members.Count < 2)
        {
            return;
        }

        var probe = FindConflict(mutuallyExclusive, responseName, group1, group1.Node, group2, same ? group2.Members[1] : group2.Node);
        if (probe is null)
        {
            return;
        }

        // Copies of a leaf conflict for the same reason, which names only the two fields.
        var leaves = group1.IsLeaf && group2.IsLeaf;
        Conflict? backward = null;
        for (var i = 0; i < group1.Members.Count; i++)
        {
            for (var j = same ? i + 1 : 0; j < group2.Members.Count; j++)
            {
                if (Full(conflicts))
                {
                    return;
                }

                var (node1, node2) = (group1.Members[i], group2.Members[j]);
                var swap = inOrder && group1.Positions[i] > group2.Positions[j];
                Conflict? conflict;
                if (leaves)
                {
                    conflict = swap
                        ? (backward ??= FindConflict(mutuallyExclusive, responseName, group2, group2.Node, group1, group1.Node)!) with { Fields1 = [node2], Fields2 = [node1] }
                        : probe with { Fields1 = [node1], Fields2 = [node2] };
                }
                else
                {
                    conflict = swap ? FindConflict(mutuallyExclusive, responseName, group2, node2, group1, node1)
                        : ReferenceEquals(node1, probe.Fields1[0]) && ReferenceEquals(node2, probe.Fields2[0]) ? probe
                        : FindConflict(mutuallyExclusive, responseName, group1, node1, group2, node2);
                }

                if (conflict is not null)
                {
                    conflicts.Add(conflict);
                }
            }
        }
    }

    private Conflict? FindConflict(bool parentsMutuallyExclusive, string responseName, FieldGroup field1, FieldNode node1, FieldGroup field2, FieldNode node2)
    {
        var mutuallyExclusive = parentsMutuallyExclusive
            || (!ReferenceEquals(field1.Parent, field2.Parent) && field1.Parent is ObjectType && field2.Parent is ObjectType);
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

    private sealed class FieldMapKeyComparer : IEqualityComparer<(FieldMap Map, string Fragment)>
    {
        public static readonly FieldMapKeyComparer Instance = new();

        public bool Equals((FieldMap Map, string Fragment) x, (FieldMap Map, string Fragment) y) =>
            ReferenceEquals(x.Map, y.Map) && string.Equals(x.Fragment, y.Fragment, StringComparison.Ordinal);

        public int GetHashCode((FieldMap Map, string Fragment) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Map), StringComparer.Ordinal.GetHashCode(obj.Fragment));
    }
}
