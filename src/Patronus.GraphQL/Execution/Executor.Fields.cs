using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Execution;

public sealed partial class Executor
{
    // Compiled getters of public properties by (CLR type, field name): a default-resolved field
    // reads its parent's property through a delegate, not reflection, on every object.
    private static readonly ConcurrentDictionary<(Type, string), Func<object, object?>?> s_getters = new();

    // Marks a field of ExecuteFieldsAsync that runs as a task rather than completed at once.
    private static readonly object s_pending = new();

    /// <summary>
    /// The fields of one object. Not async itself: when every field completes at once (the leaves of
    /// a list's items) the map is returned without a state machine; the rest waits in <see cref="AwaitFieldsAsync"/>.
    /// A cancellation may throw from here directly; every caller awaits the result in an async method.
    /// With <paramref name="listIndex"/> (not -1), <paramref name="path"/> is the list's and the object's
    /// own path is made only when a field needs it: the leaves of a list's items never do.
    /// </summary>
    private static ValueTask<IReadOnlyDictionary<string, object?>> ExecuteFieldsAsync(
        ExecutionContext execution,
        ObjectType type,
        object? source,
        ResponsePath? path,
        SelectionPlan plan,
        int listIndex = -1)
    {
        // Start every field before awaiting any, so independent resolvers run concurrently (§6.3.1).
        // Each ValueTask is awaited exactly once, in AwaitFieldsAsync. A leaf read from the parent's
        // property completes at once (SelectionPlan.Leaf): no task, context or path unless it fails.
        var values = new object?[plan.Count];
        ValueTask<(bool Include, object? Value)>[]? tasks = null;
        var sourceType = SelectionPlan.ReadsProperties(source) ? source!.GetType() : null;
        for (var index = 0; index < values.Length; index++)
        {
            execution.CancellationToken.ThrowIfCancellationRequested();
            if (sourceType is not null && plan.Leaves[index] is { } leaf && leaf.TryComplete(source!, sourceType, out var value))
            {
                values[index] = value;
                continue;
            }

            tasks ??= new ValueTask<(bool Include, object? Value)>[values.Length];
            values[index] = s_pending;
#pragma warning disable CA2012
            if (listIndex >= 0)
            {
                path = path!.Index(listIndex);
                listIndex = -1;
            }

            tasks[index] = ExecuteFieldAsync(execution, type, source, plan.Nodes[index], Child(path, plan.Keys[index], type));
#pragma warning restore CA2012
        }

        // The field keys are shared by every object of the same selection.
        return tasks is null
            ? new ValueTask<IReadOnlyDictionary<string, object?>>(new ResultMap(plan.Keys, values, values.Length, plan.EncodedKeys))
            : AwaitFieldsAsync(plan, values, tasks);
    }

    /// <summary>The fields of <see cref="ExecuteFieldsAsync"/> that did not complete at once; values move up in place of a field left out (one without a definition here).</summary>
    private static async ValueTask<IReadOnlyDictionary<string, object?>> AwaitFieldsAsync(SelectionPlan plan, object?[] values, ValueTask<(bool Include, object? Value)>[] tasks)
    {
        var keys = plan.Keys;
        FieldErrorException? propagated = null;
        var count = 0;
        var shared = true;
        for (var index = 0; index < values.Length; index++)
        {
            try
            {
                var (include, value) = ReferenceEquals(values[index], s_pending) ? await tasks[index].ConfigureAwait(false) : (true, values[index]);
                if (include)
                {
                    if (count < index)
                    {
                        keys = shared ? [.. keys] : keys;
                        shared = false;
                        keys[count] = keys[index];
                    }

                    values[count++] = value;
                }
            }
            catch (FieldErrorException e)
            {
                propagated ??= e;
            }
        }

        return propagated is null ? new ResultMap(keys, values, count, shared ? plan.EncodedKeys : null) : throw propagated;
    }

    internal static Func<object, object?>? Getter(Type type, string name) =>
        s_getters.GetOrAdd((type, name), static key =>
            key.Item1.GetProperty(key.Item2, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanRead: true } property
                && property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true }
                ? Compile(property)
                : null);

    private static Func<object, object?> Compile(PropertyInfo property)
    {
        var instance = System.Linq.Expressions.Expression.Parameter(typeof(object), "source");
        var read = System.Linq.Expressions.Expression.Property(System.Linq.Expressions.Expression.Convert(instance, property.DeclaringType!), property);
        return System.Linq.Expressions.Expression.Lambda<Func<object, object?>>(System.Linq.Expressions.Expression.Convert(read, typeof(object)), instance).Compile();
    }

    private static async Task<IReadOnlyDictionary<string, object?>> ExecuteFieldsSeriallyAsync(
        ExecutionContext execution,
        ObjectType type,
        object? source,
        ResponsePath? path,
        OrderedDictionary<string, List<FieldNode>> fields)
    {
        var result = new OrderedDictionary<string, object?>(fields.Count, StringComparer.Ordinal);
        foreach (var (key, nodes) in fields)
        {
            var (include, value) = await ExecuteFieldAsync(execution, type, source, nodes, Child(path, key, type)).ConfigureAwait(false);
            if (include)
            {
                result.Add(key, value);
            }
        }

        return result;
    }

    private static ResponsePath Child(ResponsePath? path, string key, ObjectType type) =>
        path is null ? ResponsePath.Root(key, type.Name) : path.Field(key, type.Name);

    internal static async ValueTask<(bool Include, object? Value)> ExecuteFieldAsync(
        ExecutionContext execution,
        ObjectType parentType,
        object? source,
        List<FieldNode> nodes,
        ResponsePath path)
    {
        // Between fields the request's deadline can stop even resolvers that never look at their token.
        execution.CancellationToken.ThrowIfCancellationRequested();
        var fieldNode = nodes[0];
        var fieldName = fieldNode.Name.Value;
        var field = fieldName switch
        {
            "__typename" => Introspection.IntrospectionTypes.TypeNameField,
            "__schema" when ReferenceEquals(parentType, execution.Schema.Query) => Introspection.IntrospectionTypes.SchemaField,
            "__type" when ReferenceEquals(parentType, execution.Schema.Query) => Introspection.IntrospectionTypes.TypeField,
            _ => parentType.GetField(fieldName),
        };
        if (field is null)
        {
            return (false, null);
        }

        try
        {
            var arguments = ArgumentValues.Get(field.Arguments, fieldNode.Arguments, execution.Variables, fieldNode);
            var context = new ResolveContext(execution, source, arguments, parentType, field, nodes, path);
            object? resolved;
            if (field.Resolver is { } resolver)
            {
                resolved = await resolver(context).ConfigureAwait(false);
            }
            else if (field.Subscriber is not null && path.Previous is null)
            {
                // A subscription root field without a resolver: the event is the field's value.
                resolved = source;
            }
            else
            {
                resolved = DefaultResolve(source, field.Name);
            }

            return (true, await CompleteValueAsync(execution, field.Type, context, path, resolved).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException || !execution.CancellationToken.IsCancellationRequested)
        {
            var error = e is FieldErrorException fieldError ? fieldError.Error : ToError(execution, e, nodes, path);
            if (field.Type is NonNullType)
            {
                throw e as FieldErrorException ?? new FieldErrorException(error);
            }

            execution.AddError(error);
            return (true, null);
        }
    }

    private static GraphQLError ToError(ExecutionContext execution, Exception exception, List<FieldNode> nodes, ResponsePath path)
    {
        var locations = nodes.Select(n => n.Location.StartLocation).ToList();
        switch (exception)
        {
            case GraphQLException graphQLException:
                return new GraphQLError(graphQLException.Message, locations, path.ToList(), graphQLException.Extensions);
            case ArgumentCoercionException coercion:
                return new GraphQLError(coercion.Message, coercion.Locations, path.ToList());
            default:
                execution.Options.OnUnhandledException?.Invoke(exception, path);
                var message = execution.Options.ExposeExceptionMessages ? exception.Message : "Unexpected error.";
                return new GraphQLError(message, locations, path.ToList());
        }
    }

    private static object? DefaultResolve(object? source, string name)
    {
        switch (source)
        {
            case null:
                return null;
            case IReadOnlyDictionary<string, object?> map:
                return map.GetValueOrDefault(name);
            case IDictionary<string, object?> dictionary:
                return dictionary.TryGetValue(name, out var value) ? value : null;
            case IDictionary legacy:
                return legacy.Contains(name) ? legacy[name] : null;
        }

        return Getter(source.GetType(), name)?.Invoke(source);
    }

    private static async ValueTask<object?> CompleteValueAsync(ExecutionContext execution, GraphQLType type, ResolveContext context, ResponsePath path, object? result)
    {
        if (result is Exception exception)
        {
            throw exception;
        }

        if (type is NonNullType nonNull)
        {
            var completed = await CompleteValueAsync(execution, nonNull.OfType, context, path, result).ConfigureAwait(false);
            return completed ?? throw new FieldErrorException(new GraphQLError(
                $"Cannot return null for non-nullable field {context.ParentType.Name}.{context.FieldDefinition.Name}.",
                context.FieldNodes.Select(n => n.Location.StartLocation).ToList(),
                path.ToList()));
        }

        if (result is null)
        {
            return null;
        }

        switch (type)
        {
            case ListType list:
                return await CompleteListAsync(execution, list, context, path, result).ConfigureAwait(false);
            case ScalarType scalar:
                {
                    var serialized = scalar.Serialize(result);
                    return serialized.IsSuccess ? serialized.Value : throw new GraphQLException(serialized.Error ?? $"Expected a value of type \"{scalar.Name}\".");
                }

            case EnumType enumType:
                return enumType.FromInternal(result)?.Name
                    ?? throw new GraphQLException($"Enum \"{enumType.Name}\" cannot represent value: {Inspect.Value(result)}");
            case ObjectType objectType:
                return await CompleteObjectAsync(execution, objectType, context, path, result).ConfigureAwait(false);
            default:
                var runtimeType = ResolveRuntimeType(execution, (NamedType)type, context, result);
                return await CompleteObjectAsync(execution, runtimeType, context, path, result).ConfigureAwait(false);
        }
    }

    private static async ValueTask<object?> CompleteListAsync(ExecutionContext execution, ListType list, ResolveContext context, ResponsePath path, object result)
    {
        if (result is string || result is not IEnumerable items || result is IDictionary<string, object?>)
        {
            throw new GraphQLException($"Expected Iterable, but did not find one for field \"{context.ParentType.Name}.{context.FieldDefinition.Name}\".");
        }

        // Items of an object type without IsTypeOf run their selection directly (one plan for the
        // list) and are taken at once when they complete without waiting; the rest, and any item
        // that waits or fails, go the general way (CompleteItemAsync and its error handling).
        var itemType = list.OfType;
        var objectType = (itemType is NonNullType nonNull ? nonNull.OfType : itemType) as ObjectType;
        var plan = objectType is { IsTypeOf: null } ? Plan(execution, objectType, context.FieldNodes) : null;
        var completed = new List<object?>(items is ICollection collection ? collection.Count : 0);
        List<(int Index, ValueTask<object?> Task)>? pending = null;
        var index = 0;
        foreach (var item in items)
        {
            execution.CancellationToken.ThrowIfCancellationRequested();
            ValueTask<object?> task;
            if (plan is not null && item is not (null or Exception))
            {
                var fields = ExecuteFieldsAsync(execution, objectType!, item, path, plan, index);
                if (fields.IsCompletedSuccessfully)
                {
                    index++;
                    completed.Add(fields.Result);
                    continue;
                }

#pragma warning disable CA2012 // awaited exactly once, by AwaitItemAsync
                task = AwaitItemAsync(execution, itemType, context, path.Index(index++), fields);
            }
            else
            {
                task = CompleteItemAsync(execution, itemType, context, path.Index(index++), item);
#pragma warning restore CA2012
            }

            if (task.IsCompletedSuccessfully)
            {
                completed.Add(task.Result);
                continue;
            }

            (pending ??= []).Add((completed.Count, task));
            completed.Add(null);
        }

        FieldErrorException? propagated = null;
        foreach (var (at, task) in pending ?? [])
        {
            try
            {
                completed[at] = await task.ConfigureAwait(false);
            }
            catch (FieldErrorException e)
            {
                propagated ??= e;
            }
        }

        return propagated is null ? completed : throw propagated;
    }

    private static SelectionPlan Plan(ExecutionContext execution, ObjectType type, IReadOnlyList<FieldNode> nodes) =>
        execution.Subfields.GetOrAdd((type, nodes), static (key, execution) =>
            new SelectionPlan(key.Type, FieldCollector.CollectSubfields(execution, key.Type, key.Nodes)), execution);

    /// <summary>An object item whose selection did not complete at once: awaited with <see cref="CompleteItemAsync"/>'s error handling.</summary>
    private static async ValueTask<object?> AwaitItemAsync(ExecutionContext execution, GraphQLType itemType, ResolveContext context, ResponsePath path,
        ValueTask<IReadOnlyDictionary<string, object?>> fields)
    {
        try
        {
            return await fields.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !execution.CancellationToken.IsCancellationRequested)
        {
            return ItemError(execution, itemType, context, path, e) is { } propagated ? throw propagated : null;
        }
    }

    private static async ValueTask<object?> CompleteItemAsync(ExecutionContext execution, GraphQLType itemType, ResolveContext context, ResponsePath path, object? item)
    {
        try
        {
            return await CompleteValueAsync(execution, itemType, context, path, item).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !execution.CancellationToken.IsCancellationRequested)
        {
            return ItemError(execution, itemType, context, path, e) is { } propagated ? throw propagated : null;
        }
    }

    /// <summary>
    /// A list item's error: the exception to throw when the item is non-null (its error travels up
    /// to the nearest nullable field), else null once the error is recorded (the item is null).
    /// </summary>
    private static FieldErrorException? ItemError(ExecutionContext execution, GraphQLType itemType, ResolveContext context, ResponsePath path, Exception e)
    {
        var error = e is FieldErrorException fieldError ? fieldError.Error : ToError(execution, e, [.. context.FieldNodes], path);
        if (itemType is NonNullType)
        {
            return e as FieldErrorException ?? new FieldErrorException(error);
        }

        execution.AddError(error);
        return null;
    }

    private static async ValueTask<object?> CompleteObjectAsync(ExecutionContext execution, ObjectType type, ResolveContext context, ResponsePath path, object result)
    {
        if (type.IsTypeOf is { } isTypeOf && !isTypeOf(result))
        {
            throw new GraphQLException($"Expected value of type \"{type.Name}\" but got: {Inspect.Value(result)}.");
        }

        return await ExecuteFieldsAsync(execution, type, result, path, Plan(execution, type, context.FieldNodes)).ConfigureAwait(false);
    }

    private static ObjectType ResolveRuntimeType(ExecutionContext execution, NamedType abstractType, ResolveContext context, object value)
    {
        var resolveType = abstractType switch
        {
            InterfaceType i => i.ResolveType,
            UnionType u => u.ResolveType,
            _ => null,
        };
        string? name = resolveType?.Invoke(value, context);
        var possible = execution.Schema.GetPossibleTypes(abstractType);
        if (name is null)
        {
            if (value is IReadOnlyDictionary<string, object?> map && map.GetValueOrDefault("__typename") is string typename)
            {
                name = typename;
            }
            else
            {
                var match = possible.FirstOrDefault(t => t.IsTypeOf?.Invoke(value) == true)
                    ?? possible.FirstOrDefault(t => t.ClrType?.IsInstanceOfType(value) == true);
                name = match?.Name;
            }
        }

        if (name is null)
        {
            throw new GraphQLException(
                $"Abstract type \"{abstractType.Name}\" must resolve to an Object type at runtime for field \"{context.ParentType.Name}.{context.FieldDefinition.Name}\". Either the \"{abstractType.Name}\" type should provide a \"resolveType\" function or each possible type should provide an \"isTypeOf\" function.");
        }

        var runtimeType = execution.Schema.GetType(name);
        if (runtimeType is null)
        {
            throw new GraphQLException($"Abstract type \"{abstractType.Name}\" was resolved to a type \"{name}\" that does not exist inside the schema.");
        }

        if (runtimeType is not ObjectType objectType)
        {
            throw new GraphQLException($"Abstract type \"{abstractType.Name}\" was resolved to a non-object type \"{name}\".");
        }

        return possible.Contains(objectType)
            ? objectType
            : throw new GraphQLException($"Runtime Object type \"{objectType.Name}\" is not a possible type for \"{abstractType.Name}\".");
    }
}
