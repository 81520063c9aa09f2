using System.Collections;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Execution;

/// <summary>
/// Input coercion (spec §3.5–3.11 input coercion, §6.4.1 CoerceVariableValues): external values
/// (JSON variables) and literals into internal values. Lists become <c>List&lt;object?&gt;</c>, input
/// objects <c>Dictionary&lt;string, object?&gt;</c> without the fields that were not given.
/// </summary>
public static class InputCoercion
{
    /// <summary>Reports one coercion error: the path inside the value, the offending value, the message.</summary>
    public delegate void ErrorHandler(IReadOnlyList<object> path, object? invalidValue, string message);

    /// <summary>Coerces an external (variable) value to <paramref name="type"/>; errors go to <paramref name="onError"/>.</summary>
    public static object? CoerceInputValue(object? value, GraphQLType type, ErrorHandler onError, IReadOnlyList<object>? path = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(onError);
        return Coerce(value, type, onError, path ?? []);
    }

    private static object? Coerce(object? value, GraphQLType type, ErrorHandler onError, IReadOnlyList<object> path)
    {
        if (type is NonNullType nonNull)
        {
            if (value is not null)
            {
                return Coerce(value, nonNull.OfType, onError, path);
            }

            onError(path, value, $"Expected non-nullable type \"{type}\" not to be null.");
            return null;
        }

        if (value is null)
        {
            return null;
        }

        switch (type)
        {
            case ListType list:
                if (value is IEnumerable items && value is not string && value is not IDictionary<string, object?>)
                {
                    var result = new List<object?>();
                    var index = 0;
                    foreach (var item in items)
                    {
                        result.Add(Coerce(item, list.OfType, onError, [.. path, index]));
                        index++;
                    }

                    return result;
                }

                // A single value where a list is expected coerces to a one-item list (§3.11).
                return new List<object?> { Coerce(value, list.OfType, onError, path) };
            case InputObjectType input:
                {
                    if (value is not IReadOnlyDictionary<string, object?> map)
                    {
                        if (value is IDictionary<string, object?> dictionary)
                        {
                            map = dictionary.AsReadOnly();
                        }
                        else
                        {
                            onError(path, value, $"Expected type \"{input.Name}\" to be an object.");
                            return null;
                        }
                    }

                    var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var field in input.Fields)
                    {
                        if (!map.TryGetValue(field.Name, out var fieldValue))
                        {
                            if (field.HasDefaultValue)
                            {
                                result[field.Name] = field.DefaultValue;
                            }
                            else if (field.Type is NonNullType)
                            {
                                onError(path, value, $"Field \"{field.Name}\" of required type \"{field.Type}\" was not provided.");
                            }

                            continue;
                        }

                        result[field.Name] = Coerce(fieldValue, field.Type, onError, [.. path, field.Name]);
                    }

                    foreach (var key in map.Keys)
                    {
                        if (input.GetField(key) is null)
                        {
                            onError(path, value, $"Field \"{key}\" is not defined by type \"{input.Name}\"." + Suggestions.DidYouMean(key, input.Fields.Select(f => f.Name)));
                        }
                    }

                    return result;
                }

            case EnumType enumType:
                if (value is not string name)
                {
                    onError(path, value, $"Enum \"{enumType.Name}\" cannot represent non-string value: {Inspect.Value(value)}." + Suggestions.DidYouMean(Inspect.Value(value), enumType.Values.Select(v => v.Name)));
                    return null;
                }

                if (enumType.GetValue(name) is { } enumValue)
                {
                    return enumValue.Value;
                }

                onError(path, value, $"Value \"{name}\" does not exist in \"{enumType.Name}\" enum." + Suggestions.DidYouMean(name, enumType.Values.Select(v => v.Name)));
                return null;
            case ScalarType scalar:
                {
                    var result = scalar.ParseValue(value);
                    if (!result.IsSuccess)
                    {
                        onError(path, value, result.Error ?? $"Expected type \"{scalar.Name}\".");
                    }

                    return result.Value;
                }

            default:
                onError(path, value, $"Type \"{type}\" is not an input type.");
                return null;
        }
    }

    /// <summary>
    /// Coerces a literal to <paramref name="type"/> (graphql-js valueFromAST). Returns false when the
    /// literal is invalid; a variable that is absent from <paramref name="variables"/> counts as absent.
    /// </summary>
    public static bool TryValueFromAst(ValueNode? literal, GraphQLType type, IReadOnlyDictionary<string, object?>? variables, out object? value)
    {
        ArgumentNullException.ThrowIfNull(type);
        value = null;
        if (literal is null)
        {
            return false;
        }

        if (literal is VariableNode variable)
        {
            if (variables is null || !variables.TryGetValue(variable.Name.Value, out var variableValue))
            {
                return false;
            }

            if (variableValue is null && type is NonNullType)
            {
                return false;
            }

            value = variableValue;
            return true;
        }

        if (type is NonNullType nonNull)
        {
            return literal is not NullValueNode && TryValueFromAst(literal, nonNull.OfType, variables, out value);
        }

        if (literal is NullValueNode)
        {
            return true;
        }

        switch (type)
        {
            case ListType list:
                if (literal is ListValueNode listLiteral)
                {
                    var items = new List<object?>();
                    foreach (var item in listLiteral.Values)
                    {
                        if (IsMissingVariable(item, variables))
                        {
                            // A missing variable inside a list is null, unless the item type is non-null.
                            if (list.OfType is NonNullType)
                            {
                                return false;
                            }

                            items.Add(null);
                            continue;
                        }

                        if (!TryValueFromAst(item, list.OfType, variables, out var itemValue))
                        {
                            return false;
                        }

                        items.Add(itemValue);
                    }

                    value = items;
                    return true;
                }

                if (!TryValueFromAst(literal, list.OfType, variables, out var single))
                {
                    return false;
                }

                value = new List<object?> { single };
                return true;
            case InputObjectType input:
                {
                    if (literal is not ObjectValueNode obj)
                    {
                        return false;
                    }

                    var fields = new Dictionary<string, ValueNode>(StringComparer.Ordinal);
                    foreach (var field in obj.Fields)
                    {
                        fields.TryAdd(field.Name.Value, field.Value);
                    }

                    var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var field in input.Fields)
                    {
                        if (!fields.TryGetValue(field.Name, out var fieldLiteral) || IsMissingVariable(fieldLiteral, variables))
                        {
                            if (field.HasDefaultValue)
                            {
                                result[field.Name] = field.DefaultValue;
                            }
                            else if (field.Type is NonNullType)
                            {
                                return false;
                            }

                            continue;
                        }

                        if (!TryValueFromAst(fieldLiteral, field.Type, variables, out var fieldValue))
                        {
                            return false;
                        }

                        result[field.Name] = fieldValue;
                    }

                    foreach (var name in fields.Keys)
                    {
                        if (input.GetField(name) is null)
                        {
                            return false;
                        }
                    }

                    value = result;
                    return true;
                }

            case EnumType enumType:
                if (literal is EnumValueNode e && enumType.GetValue(e.Value) is { } enumValue)
                {
                    value = enumValue.Value;
                    return true;
                }

                return false;
            case ScalarType scalar:
                {
                    var result = scalar.ParseLiteral(literal);
                    value = result.Value;
                    return result.IsSuccess;
                }

            default:
                return false;
        }
    }

    private static bool IsMissingVariable(ValueNode literal, IReadOnlyDictionary<string, object?>? variables) =>
        literal is VariableNode v && (variables is null || !variables.ContainsKey(v.Name.Value));

    /// <summary>
    /// A literal for an internal value (graphql-js astFromValue): used to print default values in
    /// introspection and SDL. Null when the value cannot be represented.
    /// </summary>
    public static ValueNode? AstFromValue(object? value, GraphQLType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type is NonNullType nonNull)
        {
            var inner = AstFromValue(value, nonNull.OfType);
            return inner is NullValueNode ? null : inner;
        }

        if (value is null)
        {
            return new NullValueNode();
        }

        switch (type)
        {
            case ListType list:
                if (value is IEnumerable items && value is not string && value is not IDictionary<string, object?>)
                {
                    var nodes = new List<ValueNode>();
                    foreach (var item in items)
                    {
                        if (AstFromValue(item, list.OfType) is { } node)
                        {
                            nodes.Add(node);
                        }
                    }

                    return new ListValueNode(nodes);
                }

                return AstFromValue(value, list.OfType);
            case InputObjectType input:
                {
                    if (value is not IReadOnlyDictionary<string, object?> map)
                    {
                        return null;
                    }

                    var fields = new List<ObjectFieldNode>();
                    foreach (var field in input.Fields)
                    {
                        if (map.TryGetValue(field.Name, out var fieldValue) && AstFromValue(fieldValue, field.Type) is { } node)
                        {
                            fields.Add(new ObjectFieldNode(new NameNode(field.Name), node));
                        }
                    }

                    return new ObjectValueNode(fields);
                }

            case EnumType enumType:
                return enumType.FromInternal(value) is { } enumValue ? new EnumValueNode(enumValue.Name) : null;
            case ScalarType scalar:
                {
                    var serialized = scalar.Serialize(value);
                    if (!serialized.IsSuccess || serialized.Value is null)
                    {
                        return null;
                    }

                    switch (serialized.Value)
                    {
                        case bool b:
                            return new BooleanValueNode(b);
                        case string s:
                            return ReferenceEquals(scalar, Scalars.ID) && IsIntegerString(s) ? new IntValueNode(s) : new StringValueNode(s);
                    }

                    if (Scalars.ToDouble(serialized.Value) is { } number && double.IsFinite(number))
                    {
                        var text = number.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                        return IsIntegerString(text) ? new IntValueNode(text) : new FloatValueNode(text);
                    }

                    return null;
                }

            default:
                return null;
        }
    }

    private static bool IsIntegerString(string s)
    {
        var i = s.StartsWith('-') ? 1 : 0;
        if (i >= s.Length || (s[i] == '0' && s.Length > i + 1))
        {
            return false;
        }

        for (; i < s.Length; i++)
        {
            if (s[i] is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
