using System.Globalization;
using System.Text;

namespace Patronus.GraphQL.Language;

/// <summary>Prints values and type references the way graphql-js's print() does.</summary>
public static class Printer
{
    /// <summary>Prints a value literal: <c>[1, 2]</c>, <c>{a: 1}</c>, <c>"text"</c>, <c>$var</c>.</summary>
    public static string Print(ValueNode value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value switch
        {
            VariableNode v => "$" + v.Name.Value,
            IntValueNode i => i.Value,
            FloatValueNode f => f.Value,
            StringValueNode { Block: true } s => BlockString.Print(s.Value),
            StringValueNode s => PrintString(s.Value),
            BooleanValueNode b => b.Value ? "true" : "false",
            NullValueNode => "null",
            EnumValueNode e => e.Value,
            ListValueNode l => "[" + string.Join(", ", l.Values.Select(Print)) + "]",
            ObjectValueNode o => "{" + string.Join(", ", o.Fields.Select(f => f.Name.Value + ": " + Print(f.Value))) + "}",
            _ => throw new ArgumentException("Unknown value node.", nameof(value)),
        };
    }

    /// <summary>Prints a type reference.</summary>
    public static string Print(TypeNode type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type switch
        {
            NamedTypeNode n => n.Name.Value,
            ListTypeNode l => "[" + Print(l.Type) + "]",
            NonNullTypeNode n => Print(n.Type) + "!",
            _ => throw new ArgumentException("Unknown type node.", nameof(type)),
        };
    }

    /// <summary>A JSON-style quoted string with graphql-js's escapes.</summary>
    public static string PrintString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\t': builder.Append("\\t"); break;
                case '\n': builder.Append("\\n"); break;
                case '\f': builder.Append("\\f"); break;
                case '\r': builder.Append("\\r"); break;
                case < ' ' or (>= '\u007F' and <= '\u009F'):
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    break;
                default: builder.Append(c); break;
            }
        }

        return builder.Append('"').ToString();
    }
}
