using System.Collections;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Introspection;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Limits;

/// <summary>
/// Prices an introspection field (<c>__schema</c>, <c>__type</c>) at what it returns: the number of
/// fields in its answer, found by running the introspection resolvers (pure, synchronous reads of
/// the in-memory schema) over the selection without building a response. graphql-js's
/// <c>getIntrospectionQuery()</c> costs about 3,500 on the Patronus schema this way; a list
/// multiplier priced it at 329,452. The work is the answer's size, and it stops as soon as the
/// fields counted by every introspection field of the operation together pass <c>cap</c>: past it
/// the operation is refused anyway.
/// </summary>
internal sealed class IntrospectionCost(Execution.ExecutionContext execution, long cap)
{
    private static readonly ResponsePath s_path = ResponsePath.Root("__introspection");

    private long _spent;

    /// <summary>Fields returned by <paramref name="field"/> (itself included), at most just past the cap.</summary>
    public long Evaluate(ObjectType queryType, FieldNode field)
    {
        var before = _spent;
        if (_spent <= cap)
        {
            Entry(queryType, null, [field]);
        }

        return Math.Max(_spent - before, _spent > cap ? 1 : 0);
    }

    /// <summary>One response entry: counts it, resolves it and walks its selection over every object it returns.</summary>
    private void Entry(ObjectType parentType, object? source, List<FieldNode> nodes)
    {
        if (++_spent > cap)
        {
            return;
        }

        var node = nodes[0];
        var field = node.Name.Value switch
        {
            "__typename" => null,
            "__schema" => IntrospectionTypes.SchemaField,
            "__type" => IntrospectionTypes.TypeField,
            var name => parentType.GetField(name),
        };
        if (field?.Resolver is not { } resolver || field.Type.NamedType is not ObjectType childType || Resolve(resolver, parentType, field, source, nodes) is not { } value)
        {
            return;
        }

        var subfields = FieldCollector.CollectSubfields(execution, childType, nodes);
        IEnumerable items = field.Type.Nullable is ListType && value is IEnumerable list ? list : new[] { value };
        foreach (var item in items)
        {
            if (item is null)
            {
                continue;
            }

            foreach (var (_, childNodes) in subfields)
            {
                Entry(childType, item, childNodes);
                if (_spent > cap)
                {
                    return;
                }
            }
        }
    }

    private object? Resolve(FieldResolver resolver, ObjectType parentType, FieldDefinition field, object? source, List<FieldNode> nodes)
    {
        try
        {
            var arguments = ArgumentValues.Get(field.Arguments, nodes[0].Arguments, execution.Variables, nodes[0]);
            var pending = resolver(new ResolveContext(execution, source, arguments, parentType, field, nodes, s_path));

            // The introspection resolvers answer synchronously; anything else has nothing to count.
            return pending.IsCompletedSuccessfully ? pending.Result : null;
        }
        catch (ArgumentCoercionException)
        {
            return null; // execution reports it as a field error with no value
        }
    }
}
