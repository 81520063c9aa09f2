using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Limits;

/// <summary>
/// The static half of <see cref="QueryLimitsChecker.Measure"/>: walks the document once per
/// (selection set, parent type), so a fragment spread a thousand times is measured once.
/// </summary>
internal sealed class QueryMeasurer(
    Schema schema,
    IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
    IReadOnlyDictionary<string, object?> variables,
    int defaultListSize,
    IntrospectionCost introspection)
{
    // Past this a sum or product stops growing: far above any limit, far below overflow.
    private const long Saturated = long.MaxValue / 4;

    private readonly Dictionary<(SelectionSetNode, NamedType?), Shape> _shapes = new(ShapeKeyComparer.Instance);
    private readonly Dictionary<SelectionSetNode, int> _depths = new(ReferenceEqualityComparer.Instance);

    // Fragments being measured: a cycle (invalid, but Measure is public) is cut instead of recursing forever.
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

    /// <summary>Depth below a selection set (0 for leaves), its complexity and the deepest introspection within.</summary>
    internal readonly record struct Shape(int Depth, long Complexity, int IntrospectionDepth)
    {
        public Shape Merge(Shape other) => new(
            Math.Max(Depth, other.Depth), Add(Complexity, other.Complexity), Math.Max(IntrospectionDepth, other.IntrospectionDepth));
    }

    public Shape Measure(NamedType? parentType, SelectionSetNode set)
    {
        if (_shapes.TryGetValue((set, parentType), out var known))
        {
            return known;
        }

        var shape = default(Shape);
        foreach (var selection in set.Selections)
        {
            if (!FieldCollector.ShouldInclude(selection.Directives, variables))
            {
                continue;
            }

            switch (selection)
            {
                case FieldNode field:
                    shape = shape.Merge(Field(parentType, field));
                    break;
                case InlineFragmentNode inline:
                    shape = shape.Merge(Measure(inline.TypeCondition is null ? parentType : schema.GetType(inline.TypeCondition.Name.Value), inline.SelectionSet));
                    break;
                case FragmentSpreadNode spread when fragments.TryGetValue(spread.Name.Value, out var fragment) && _inProgress.Add(spread.Name.Value):
                    shape = shape.Merge(Measure(schema.GetType(fragment.TypeCondition.Name.Value), fragment.SelectionSet));
                    _inProgress.Remove(spread.Name.Value);
                    break;
            }
        }

        _shapes[(set, parentType)] = shape;
        return shape;
    }

    private Shape Field(NamedType? parentType, FieldNode field)
    {
        var name = field.Name.Value;
        if (name == "__typename")
        {
            // A response entry (so it costs), but no nesting.
            return new Shape(0, 1, 0);
        }

        if (name is "__schema" or "__type" && parentType is ObjectType root && ReferenceEquals(root, schema.Query))
        {
            return new Shape(0, introspection.Evaluate(root, field), 1 + IntrospectionDepth(field.SelectionSet));
        }

        var definition = parentType is null ? null : Validation.TypeInfo.GetFieldDef(schema, parentType, name);
        var child = field.SelectionSet is null ? default : Measure(definition?.Type.NamedType, field.SelectionSet);
        var multiplier = definition is not null && definition.Type.Nullable is ListType ? ListSize(definition, field) : 1;
        return new Shape(1 + child.Depth, Add(definition?.Cost ?? 1, Multiply(multiplier, child.Complexity)), child.IntrospectionDepth);
    }

    /// <summary>Nesting below an introspection field, counted on the document alone (every field is a level).</summary>
    private int IntrospectionDepth(SelectionSetNode? set)
    {
        if (set is null)
        {
            return 0;
        }

        if (_depths.TryGetValue(set, out var known))
        {
            return known;
        }

        var depth = 0;
        foreach (var selection in set.Selections)
        {
            switch (selection)
            {
                case FieldNode field when field.Name.Value != "__typename":
                    depth = Math.Max(depth, 1 + IntrospectionDepth(field.SelectionSet));
                    break;
                case InlineFragmentNode inline:
                    depth = Math.Max(depth, IntrospectionDepth(inline.SelectionSet));
                    break;
                case FragmentSpreadNode spread when fragments.TryGetValue(spread.Name.Value, out var fragment) && _inProgress.Add(spread.Name.Value):
                    depth = Math.Max(depth, IntrospectionDepth(fragment.SelectionSet));
                    _inProgress.Remove(spread.Name.Value);
                    break;
            }
        }

        _depths[set] = depth;
        return depth;
    }

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

    private static long Add(long a, long b) => Math.Min(a + b, Saturated);

    private static long Multiply(long a, long b) => a == 0 || b == 0 ? 0 : a > Saturated / b ? Saturated : Math.Min(a * b, Saturated);

    private sealed class ShapeKeyComparer : IEqualityComparer<(SelectionSetNode Set, NamedType? Type)>
    {
        public static readonly ShapeKeyComparer Instance = new();

        public bool Equals((SelectionSetNode Set, NamedType? Type) x, (SelectionSetNode Set, NamedType? Type) y) =>
            ReferenceEquals(x.Set, y.Set) && ReferenceEquals(x.Type, y.Type);

        public int GetHashCode((SelectionSetNode Set, NamedType? Type) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Set), obj.Type is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Type));
    }
}
