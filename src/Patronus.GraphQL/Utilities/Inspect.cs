using System.Collections;
using System.Globalization;
using System.Text;

namespace Patronus.GraphQL.Utilities;

/// <summary>Renders .NET values in error messages the way graphql-js's inspect() renders JS values.</summary>
public static class Inspect
{
    /// <summary>Renders a value: strings JSON-quoted, lists <c>[1, 2]</c>, maps <c>{ a: 1 }</c>.</summary>
    public static string Value(object? value)
    {
        var builder = new StringBuilder();
        Write(builder, value, 0);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, object? value, int depth)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case string s:
                builder.Append(Language.Printer.PrintString(s));
                break;
            case bool b:
                builder.Append(b ? "true" : "false");
                break;
            case double d:
                builder.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case float f:
                Write(builder, (double)f, depth);
                break;
            case IFormattable formattable when value is int or long or decimal or short or byte or uint or ulong or sbyte or ushort:
                builder.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            case IDictionary<string, object?> map:
                if (depth > 2)
                {
                    builder.Append("[Object]");
                    break;
                }

                if (map.Count == 0)
                {
                    builder.Append("{}");
                    break;
                }

                builder.Append("{ ");
                var first = true;
                foreach (var (key, item) in map)
                {
                    builder.Append(first ? string.Empty : ", ").Append(key).Append(": ");
                    Write(builder, item, depth + 1);
                    first = false;
                }

                builder.Append(" }");
                break;
            case IEnumerable list:
                if (depth > 2)
                {
                    builder.Append("[Array]");
                    break;
                }

                builder.Append('[');
                var firstItem = true;
                foreach (var item in list)
                {
                    builder.Append(firstItem ? string.Empty : ", ");
                    Write(builder, item, depth + 1);
                    firstItem = false;
                }

                builder.Append(']');
                break;
            default:
                builder.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
