using System.Text;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

// Collecting a selection set's fields by response name, with identical copies grouped.
internal sealed partial class OverlappingFieldsCanBeMergedRule
{
    private readonly Dictionary<SelectionSetNode, (FieldMap Fields, List<string> Fragments)> _cache = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FieldNode, int> _shapeIds = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> _shapes = new(StringComparer.Ordinal);

    /// <summary>
    /// Fields with one response name, grouped: a group holds copies with the same parent type,
    /// definition and shape (name, arguments and sub-selections, written the same way), which
    /// behave identically in every comparison. <c>{ __typename __typename … }</c> is one group.
    /// </summary>
    private sealed class FieldMap : OrderedDictionary<string, List<FieldGroup>>
    {
        public FieldMap()
            : base(StringComparer.Ordinal)
        {
        }

        /// <summary>Finds a group by response name and identity while collecting (a list scan would be quadratic).</summary>
        public Dictionary<(string Key, int Shape, NamedType? Parent, FieldDefinition? Def), FieldGroup> Index { get; } = [];

        /// <summary>Fields collected so far: each field's position in document order.</summary>
        public int Collected { get; set; }
    }

    /// <summary>Copies of one field; <see cref="Node"/> is the first, the one compared for all.</summary>
    private sealed record FieldGroup(NamedType? Parent, FieldNode Node, FieldDefinition? Def, int Shape, int Position)
    {
        public List<FieldNode> Members { get; } = [Node];

        /// <summary>Each member's position among its field map's fields (graphql-js names a pair in document order).</summary>
        public List<int> Positions { get; } = [Position];

        public bool IsLeaf => Node.SelectionSet is null;
    }

    private (FieldMap Fields, List<string> Fragments) GetFieldsAndFragmentNames(NamedType? parentType, SelectionSetNode selectionSet)
    {
        if (_cache.TryGetValue(selectionSet, out var cached))
        {
            return cached;
        }

        var fieldMap = new FieldMap();
        var fragmentNames = new List<string>();
        Collect(parentType, selectionSet, fieldMap, fragmentNames, new HashSet<string>(StringComparer.Ordinal));
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

    private void Collect(NamedType? parentType, SelectionSetNode selectionSet, FieldMap fieldMap, List<string> fragmentNames, HashSet<string> seenFragments)
    {
        foreach (var selection in selectionSet.Selections)
        {
            switch (selection)
            {
                case FieldNode field:
                    {
                        var definition = (parentType as FieldsType)?.GetField(field.Name.Value);
                        if (!fieldMap.TryGetValue(field.ResponseKey, out var groups))
                        {
                            fieldMap.Add(field.ResponseKey, groups = []);
                        }

                        var shape = ShapeOf(field);
                        var position = fieldMap.Collected++;
                        if (!fieldMap.Index.TryGetValue((field.ResponseKey, shape, parentType, definition), out var group))
                        {
                            group = new FieldGroup(parentType, field, definition, shape, position);
                            groups.Add(group);
                            fieldMap.Index.Add((field.ResponseKey, shape, parentType, definition), group);
                        }
                        else
                        {
                            group.Members.Add(field);
                            group.Positions.Add(position);
                        }

                        break;
                    }

                case FragmentSpreadNode spread:
                    if (seenFragments.Add(spread.Name.Value))
                    {
                        fragmentNames.Add(spread.Name.Value);
                    }

                    break;
                case InlineFragmentNode inline:
                    {
                        var type = inline.TypeCondition is null ? parentType : VariableCoercion.TypeFromAst(context.Schema, inline.TypeCondition) as NamedType;
                        Collect(type, inline.SelectionSet, fieldMap, fragmentNames, seenFragments);
                        break;
                    }
            }
        }
    }

    /// <summary>
    /// A number per distinct field shape: name, arguments in order and sub-selections (response keys
    /// with their shapes, fragment spreads, inline fragments), ignoring directives, which this rule
    /// does not look at. Computed once per node, children first, so linear in the document. A field
    /// whose arguments repeat a name (an error of its own) gets a shape no other field shares.
    /// </summary>
    private int ShapeOf(FieldNode field)
    {
        if (_shapeIds.TryGetValue(field, out var id))
        {
            return id;
        }

        var key = new StringBuilder(field.Name.Value).Append('(');
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in field.Arguments)
        {
            if (!names.Add(argument.Name.Value))
            {
                return _shapeIds[field] = -_shapeIds.Count - 1;
            }

            key.Append(argument.Name.Value).Append(':').Append(Printer.Print(argument.Value)).Append(',');
        }

        key.Append(')');
        if (field.SelectionSet is { } set)
        {
            AppendSelections(key, set);
        }

        var text = key.ToString();
        if (!_shapes.TryGetValue(text, out id))
        {
            _shapes[text] = id = _shapes.Count;
        }

        return _shapeIds[field] = id;
    }

    private void AppendSelections(StringBuilder key, SelectionSetNode set)
    {
        key.Append('{');
        foreach (var selection in set.Selections)
        {
            switch (selection)
            {
                case FieldNode field:
                    key.Append(field.ResponseKey).Append('#').Append(ShapeOf(field)).Append(' ');
                    break;
                case FragmentSpreadNode spread:
                    key.Append("...").Append(spread.Name.Value).Append(' ');
                    break;
                case InlineFragmentNode inline:
                    key.Append("...on ").Append(inline.TypeCondition?.Name.Value ?? "-");
                    AppendSelections(key, inline.SelectionSet);
                    break;
            }
        }

        key.Append('}');
    }
}
