using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Introspection;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Utilities;

/// <summary>
/// Prints a schema as SDL exactly as graphql-js's <c>printSchema</c> does (specified scalars,
/// specified directives and introspection types left out); with <c>sorted</c>, as
/// <c>printSchema(lexicographicSortSchema(schema))</c> does.
/// </summary>
public static class SchemaPrinter
{
    /// <summary>The schema's SDL (no trailing newline, as graphql-js).</summary>
    public static string Print(Schema schema, bool sorted = false)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var parts = new List<string>();
        if (PrintSchemaDefinition(schema) is { } definition)
        {
            parts.Add(definition);
        }

        foreach (var directive in Order(schema.Directives.Where(d => !Directives.IsSpecified(d)), d => d.Name, sorted))
        {
            parts.Add(PrintDirective(directive, sorted));
        }

        foreach (var type in Order(schema.Types.Where(t => !(t is ScalarType { IsSpecified: true }) && !IntrospectionTypes.All.Contains(t)), t => t.Name, sorted))
        {
            parts.Add(PrintType(schema, type, sorted));
        }

        return string.Join("\n\n", parts);
    }

    private static IEnumerable<T> Order<T>(IEnumerable<T> items, Func<T, string> key, bool sorted) =>
        sorted ? items.OrderBy(key, NaturalComparer.Instance) : items;

    private static string? PrintSchemaDefinition(Schema schema)
    {
        if (schema.Description is null && schema.Query.Name == "Query"
            && (schema.Mutation is null || schema.Mutation.Name == "Mutation")
            && (schema.Subscription is null || schema.Subscription.Name == "Subscription"))
        {
            return null;
        }

        var lines = new List<string> { $"  query: {schema.Query.Name}" };
        if (schema.Mutation is not null)
        {
            lines.Add($"  mutation: {schema.Mutation.Name}");
        }

        if (schema.Subscription is not null)
        {
            lines.Add($"  subscription: {schema.Subscription.Name}");
        }

        return PrintDescription(schema.Description) + "schema {\n" + string.Join('\n', lines) + "\n}";
    }

    private static string PrintDirective(DirectiveDefinition directive, bool sorted) =>
        PrintDescription(directive.Description) + "directive @" + directive.Name + PrintArgs(Order(directive.Arguments, a => a.Name, sorted).ToList())
        + (directive.IsRepeatable ? " repeatable" : string.Empty) + " on "
        + string.Join(" | ", Order(directive.Locations.Select(l => l.ToSpecName()), l => l, sorted));

    private static string PrintType(Schema schema, NamedType type, bool sorted)
    {
        var description = PrintDescription(type.Description);
        switch (type)
        {
            case ScalarType scalar:
                return description + "scalar " + scalar.Name
                    + (scalar.SpecifiedByUrl is { } url ? $" @specifiedBy(url: {Printer.PrintString(url)})" : string.Empty);
            case FieldsType fields:
                var interfaces = Order(fields.Interfaces, i => i.Name, sorted).Select(i => i.Name).ToList();
                var fieldLines = Order(fields.Fields, f => f.Name, sorted).Select((f, i) =>
                    PrintDescription(f.Description, "  ", i == 0) + "  " + f.Name + PrintArgs(Order(f.Arguments, a => a.Name, sorted).ToList(), "  ")
                    + ": " + f.Type + PrintDeprecated(f.DeprecationReason));
                return description + (type is ObjectType ? "type " : "interface ") + type.Name
                    + (interfaces.Count > 0 ? " implements " + string.Join(" & ", interfaces) : string.Empty)
                    + PrintBlock(fieldLines);
            case UnionType union:
                var members = Order(union.Types, t => t.Name, sorted).Select(t => t.Name).ToList();
                return description + "union " + union.Name + (members.Count > 0 ? " = " + string.Join(" | ", members) : string.Empty);
            case EnumType enumType:
                return description + "enum " + enumType.Name + PrintBlock(Order(enumType.Values, v => v.Name, sorted).Select((v, i) =>
                    PrintDescription(v.Description, "  ", i == 0) + "  " + v.Name + PrintDeprecated(v.DeprecationReason)));
            case InputObjectType input:
                return description + "input " + input.Name + PrintBlock(Order(input.Fields, f => f.Name, sorted).Select((f, i) =>
                    PrintDescription(f.Description, "  ", i == 0) + "  " + PrintInputValue(f)));
            default:
                _ = schema;
                throw new InvalidOperationException($"Unknown type kind of {type.Name}.");
        }
    }

    private static string PrintBlock(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? string.Empty : " {\n" + string.Join('\n', list) + "\n}";
    }

    private static string PrintArgs(List<InputValueDefinition> args, string indentation = "")
    {
        if (args.Count == 0)
        {
            return string.Empty;
        }

        if (args.All(a => a.Description is null))
        {
            return "(" + string.Join(", ", args.Select(PrintInputValue)) + ")";
        }

        return "(\n" + string.Join('\n', args.Select((a, i) => PrintDescription(a.Description, "  " + indentation, i == 0) + "  " + indentation + PrintInputValue(a)))
            + "\n" + indentation + ")";
    }

    private static string PrintInputValue(InputValueDefinition value)
    {
        var text = value.Name + ": " + value.Type;
        if (value.HasDefaultValue && InputCoercion.AstFromValue(value.DefaultValue, value.Type) is { } literal)
        {
            text += " = " + Printer.Print(literal);
        }

        return text + PrintDeprecated(value.DeprecationReason);
    }

    private static string PrintDeprecated(string? reason) => reason switch
    {
        null => string.Empty,
        Directives.DefaultDeprecationReason => " @deprecated",
        _ => $" @deprecated(reason: {Printer.PrintString(reason)})",
    };

    private static string PrintDescription(string? description, string indentation = "", bool firstInBlock = true)
    {
        if (description is null)
        {
            return string.Empty;
        }

        var text = IsPrintableAsBlockString(description) ? BlockString.Print(description) : Printer.PrintString(description);
        var prefix = indentation.Length > 0 && !firstInBlock ? "\n" + indentation : indentation;
        return prefix + text.Replace("\n", "\n" + indentation, StringComparison.Ordinal) + "\n";
    }

    // graphql-js isPrintableAsBlockString.
    private static bool IsPrintableAsBlockString(string value)
    {
        if (value.Length == 0)
        {
            return true;
        }

        bool isEmptyLine = true, hasIndent = false, hasCommonIndent = true, seenNonEmptyLine = false;
        foreach (var c in value)
        {
            switch (c)
            {
                case (>= '\0' and <= '\b') or '\u000B' or '\f' or (>= '\u000E' and <= '\u001F') or '\r':
                    return false;
                case '\n':
                    if (isEmptyLine && !seenNonEmptyLine)
                    {
                        return false;
                    }

                    seenNonEmptyLine = true;
                    isEmptyLine = true;
                    hasIndent = false;
                    break;
                case '\t' or ' ':
                    hasIndent |= isEmptyLine;
                    break;
                default:
                    hasCommonIndent &= hasIndent;
                    isEmptyLine = false;
                    break;
            }
        }

        return !isEmptyLine && !(hasCommonIndent && seenNonEmptyLine);
    }

    /// <summary>graphql-js naturalCompare: digit runs compare as numbers.</summary>
    public sealed class NaturalComparer : IComparer<string>
    {
        /// <summary>The shared instance.</summary>
        public static NaturalComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var a = x ?? string.Empty;
            var b = y ?? string.Empty;
            int i = 0, j = 0;
            while (i < a.Length && j < b.Length)
            {
                if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
                {
                    long numA = 0, numB = 0;
                    do
                    {
                        numA = (numA * 10) + (a[i] - '0');
                        i++;
                    }
                    while (i < a.Length && char.IsAsciiDigit(a[i]) && numA > 0);
                    do
                    {
                        numB = (numB * 10) + (b[j] - '0');
                        j++;
                    }
                    while (j < b.Length && char.IsAsciiDigit(b[j]) && numB > 0);
                    if (numA != numB)
                    {
                        return numA < numB ? -1 : 1;
                    }
                }
                else
                {
                    if (a[i] != b[j])
                    {
                        return a[i] < b[j] ? -1 : 1;
                    }

                    i++;
                    j++;
                }
            }

            return a.Length - b.Length;
        }
    }
}
