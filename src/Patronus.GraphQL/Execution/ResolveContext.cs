using System.Globalization;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Execution;

/// <summary>What a resolver gets: parent value, coerced arguments, the request's context, cancellation and path.</summary>
public sealed class ResolveContext
{
    internal ResolveContext(
        ExecutionContext execution,
        object? source,
        IReadOnlyDictionary<string, object?> arguments,
        ObjectType parentType,
        FieldDefinition field,
        IReadOnlyList<FieldNode> fieldNodes,
        ResponsePath path)
    {
        Execution = execution;
        Source = source;
        Arguments = arguments;
        ParentType = parentType;
        FieldDefinition = field;
        FieldNodes = fieldNodes;
        Path = path;
    }

    internal ExecutionContext Execution { get; }

    /// <summary>The parent object's value (the root value for root fields).</summary>
    public object? Source { get; }

    /// <summary>Coerced argument values; absent arguments without defaults are absent.</summary>
    public IReadOnlyDictionary<string, object?> Arguments { get; }

    /// <summary>The object type that owns the field.</summary>
    public ObjectType ParentType { get; }

    /// <summary>The field being resolved.</summary>
    public FieldDefinition FieldDefinition { get; }

    /// <summary>The field's nodes in the document (several when merged).</summary>
    public IReadOnlyList<FieldNode> FieldNodes { get; }

    /// <summary>Path of this field in the response.</summary>
    public ResponsePath Path { get; }

    /// <summary>The request's context object (user, services): opaque to the engine.</summary>
    public object? Context => Execution.Context;

    /// <summary>Cancelled when the request is.</summary>
    public CancellationToken CancellationToken => Execution.CancellationToken;

    /// <summary>The schema.</summary>
    public Schema Schema => Execution.Schema;

    /// <summary>The operation being executed.</summary>
    public OperationDefinitionNode Operation => Execution.Operation;

    /// <summary>Coerced variable values.</summary>
    public IReadOnlyDictionary<string, object?> Variables => Execution.Variables;

    /// <summary>The parent value as <typeparamref name="T"/>.</summary>
    public T Parent<T>() => (T)Source!;

    /// <summary>The request context as <typeparamref name="T"/>.</summary>
    public T ContextAs<T>() => (T)Context!;

    /// <summary>Whether the argument was given (or has a default).</summary>
    public bool HasArgument(string name) => Arguments.ContainsKey(name);

    /// <summary>
    /// An argument converted to <typeparamref name="T"/> (default when absent or null): numbers convert
    /// between numeric types, enum names to CLR enums, lists to <c>List&lt;T&gt;</c> element-wise.
    /// </summary>
    public T Argument<T>(string name, T defaultValue = default!) =>
        Arguments.TryGetValue(name, out var value) && value is not null ? ValueConverter.Convert<T>(value) : defaultValue;
}

/// <summary>Converts coerced input values to CLR types for resolvers.</summary>
public static class ValueConverter
{
    /// <summary>Converts <paramref name="value"/> to <typeparamref name="T"/>.</summary>
    public static T Convert<T>(object? value) => (T)Convert(value, typeof(T))!;

    /// <summary>Converts <paramref name="value"/> to <paramref name="type"/>.</summary>
    public static object? Convert(object? value, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (value is null)
        {
            return null;
        }

        if (type.IsInstanceOfType(value))
        {
            return value;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            return value is string s ? Enum.Parse(target, s.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true) : Enum.ToObject(target, value);
        }

        if (target.IsGenericType && value is System.Collections.IEnumerable items && value is not string)
        {
            var itemType = target.GetGenericArguments()[0];
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
            foreach (var item in items)
            {
                list.Add(Convert(item, itemType));
            }

            return list;
        }

        if (target == typeof(Guid) && value is string g)
        {
            return Guid.Parse(g);
        }

        return System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }
}
