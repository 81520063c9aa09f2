using System.Globalization;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Types;

/// <summary>The spec's built-in scalars (§3.5) with graphql-js's coercion rules and messages, plus DateTime.</summary>
public static class Scalars
{
    /// <summary>32-bit signed integer.</summary>
    public static ScalarType Int { get; } = new(
        "Int",
        "The `Int` scalar type represents non-fractional signed whole numeric values. Int can represent values between -(2^31) and 2^31 - 1.",
        SerializeInt,
        ParseIntValue,
        literal => literal switch
        {
            IntValueNode i => int.TryParse(i.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? CoercionResult.Success(n)
                : CoercionResult.Fail($"Int cannot represent non 32-bit signed integer value: {i.Value}"),
            _ => CoercionResult.Fail($"Int cannot represent non-integer value: {Printer.Print(literal)}"),
        });

    /// <summary>Double-precision float.</summary>
    public static ScalarType Float { get; } = new(
        "Float",
        "The `Float` scalar type represents signed double-precision fractional values as specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point).",
        value => value switch
        {
            // Once per Float leaf of a response: a finite double is its own result, not boxed again.
            double d when double.IsFinite(d) => CoercionResult.Success(value),
            bool b => CoercionResult.Success(b ? 1.0 : 0.0),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => CoercionResult.Success(d),
            _ when ToDouble(value) is { } d && double.IsFinite(d) => CoercionResult.Success(d),
            _ => CoercionResult.Fail($"Float cannot represent non numeric value: {Inspect.Value(value)}"),
        },
        value => ToDouble(value) is { } d && double.IsFinite(d) && value is not bool
            ? CoercionResult.Success(d)
            : CoercionResult.Fail($"Float cannot represent non numeric value: {Inspect.Value(value)}"),
        literal => literal switch
        {
            IntValueNode or FloatValueNode when double.TryParse(literal is IntValueNode i ? i.Value : ((FloatValueNode)literal).Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                => CoercionResult.Success(d),
            _ => CoercionResult.Fail($"Float cannot represent non numeric value: {Printer.Print(literal)}"),
        });

    /// <summary>UTF-8 text.</summary>
    public static ScalarType String { get; } = new(
        "String",
        "The `String` scalar type represents textual data, represented as UTF-8 character sequences. The String type is most often used by GraphQL to represent free-form human-readable text.",
        value => value switch
        {
            string s => CoercionResult.Success(s),
            bool b => CoercionResult.Success(b ? "true" : "false"),
            char c => CoercionResult.Success(c.ToString()),
            Guid g => CoercionResult.Success(g.ToString()),
            Enum e => CoercionResult.Success(e.ToString()),
            _ when ToDouble(value) is { } d && double.IsFinite(d) => CoercionResult.Success(Convert.ToString(value, CultureInfo.InvariantCulture)),
            _ => CoercionResult.Fail($"String cannot represent value: {Inspect.Value(value)}"),
        },
        value => value is string s ? CoercionResult.Success(s) : CoercionResult.Fail($"String cannot represent a non string value: {Inspect.Value(value)}"),
        literal => literal is StringValueNode s
            ? CoercionResult.Success(s.Value)
            : CoercionResult.Fail($"String cannot represent a non string value: {Printer.Print(literal)}"));

    /// <summary>true or false.</summary>
    public static ScalarType Boolean { get; } = new(
        "Boolean",
        "The `Boolean` scalar type represents `true` or `false`.",
        value => value switch
        {
            bool b => CoercionResult.Success(b),
            _ when ToDouble(value) is { } d && double.IsFinite(d) => CoercionResult.Success(d != 0),
            _ => CoercionResult.Fail($"Boolean cannot represent a non boolean value: {Inspect.Value(value)}"),
        },
        value => value is bool b ? CoercionResult.Success(b) : CoercionResult.Fail($"Boolean cannot represent a non boolean value: {Inspect.Value(value)}"),
        literal => literal is BooleanValueNode b
            ? CoercionResult.Success(b.Value)
            : CoercionResult.Fail($"Boolean cannot represent a non boolean value: {Printer.Print(literal)}"));

    /// <summary>Opaque identifier, serialized as a string.</summary>
    public static ScalarType ID { get; } = new(
        "ID",
        "The `ID` scalar type represents a unique identifier, often used to refetch an object or as key for a cache. The ID type appears in a JSON response as a String; however, it is not intended to be human-readable. When expected as an input type, any string (such as `\"4\"`) or integer (such as `4`) input value will be accepted as an ID.",
        value => value switch
        {
            string s => CoercionResult.Success(s),
            Guid g => CoercionResult.Success(g.ToString()),
            _ when ToInteger(value) is { } n => CoercionResult.Success(n.ToString(CultureInfo.InvariantCulture)),
            _ => CoercionResult.Fail($"ID cannot represent value: {Inspect.Value(value)}"),
        },
        value => value switch
        {
            string s => CoercionResult.Success(s),
            _ when value is not bool && ToInteger(value) is { } n => CoercionResult.Success(n.ToString(CultureInfo.InvariantCulture)),
            _ => CoercionResult.Fail($"ID cannot represent value: {Inspect.Value(value)}"),
        },
        literal => literal switch
        {
            StringValueNode s => CoercionResult.Success(s.Value),
            IntValueNode i => CoercionResult.Success(i.Value),
            _ => CoercionResult.Fail($"ID cannot represent a non-string and non-integer value: {Printer.Print(literal)}"),
        });

    /// <summary>
    /// An instant as an ISO-8601 string in UTC (<c>2024-05-01T12:00:00.000Z</c>). Input accepts any
    /// ISO-8601 date-time with a zone offset; the internal value is a <see cref="DateTimeOffset"/> in UTC.
    /// </summary>
    public static ScalarType DateTime { get; } = new(
        "DateTime",
        "An instant in time as an ISO-8601 date-time string in UTC, e.g. `2024-05-01T12:00:00.000Z`.",
        value => value switch
        {
            DateTimeOffset o => CoercionResult.Success(FormatDateTime(o)),
            System.DateTime d => CoercionResult.Success(FormatDateTime(d.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(d, TimeSpan.Zero) : new DateTimeOffset(d))),
            string s when ParseDateTime(s) is { } o => CoercionResult.Success(FormatDateTime(o)),
            _ => CoercionResult.Fail($"DateTime cannot represent value: {Inspect.Value(value)}"),
        },
        value => value is string s && ParseDateTime(s) is { } o
            ? CoercionResult.Success(o)
            : CoercionResult.Fail($"DateTime cannot represent value: {Inspect.Value(value)}; expected an ISO-8601 date-time with offset."),
        literal => literal is StringValueNode s && ParseDateTime(s.Value) is { } o
            ? CoercionResult.Success(o)
            : CoercionResult.Fail($"DateTime cannot represent value: {Printer.Print(literal)}; expected an ISO-8601 date-time with offset."),
        "https://scalars.graphql.org/andimarek/date-time");

    /// <summary>The five specified scalars.</summary>
    public static IReadOnlyList<ScalarType> Specified { get; } = [String, Int, Float, Boolean, ID];

    private static string FormatDateTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseDateTime(string text)
    {
        // RFC 3339 needs a 'T' (or space) separator and a zone: reject bare dates and local times.
        if (text.Length < 20 || !(text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-'))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var result)
            ? result.ToUniversalTime()
            : null;
    }

    private static CoercionResult SerializeInt(object value)
    {
        if (value is int)
        {
            return CoercionResult.Success(value); // already the result: not boxed again
        }

        double? number = value switch
        {
            bool b => b ? 1 : 0,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => ToDouble(value),
        };
        if (number is not { } n || double.IsNaN(n) || double.IsInfinity(n) || Math.Floor(n) != n)
        {
            return CoercionResult.Fail($"Int cannot represent non-integer value: {Inspect.Value(value)}");
        }

        return n is > int.MaxValue or < int.MinValue
            ? CoercionResult.Fail($"Int cannot represent non 32-bit signed integer value: {Inspect.Value(value)}")
            : CoercionResult.Success((int)n);
    }

    private static CoercionResult ParseIntValue(object value)
    {
        if (value is bool || ToDouble(value) is not { } n || !double.IsFinite(n) || Math.Floor(n) != n)
        {
            return CoercionResult.Fail($"Int cannot represent non-integer value: {Inspect.Value(value)}");
        }

        return n is > int.MaxValue or < int.MinValue
            ? CoercionResult.Fail($"Int cannot represent non 32-bit signed integer value: {Inspect.Value(value)}")
            : CoercionResult.Success((int)n);
    }

    internal static double? ToDouble(object? value) => value switch
    {
        int i => i,
        long l => l,
        double d => d,
        float f => f,
        decimal m => (double)m,
        short s => s,
        byte b => b,
        sbyte sb => sb,
        ushort us => us,
        uint ui => ui,
        ulong ul => ul,
        _ => null,
    };

    private static long? ToInteger(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        byte b => b,
        sbyte sb => sb,
        ushort us => us,
        uint ui => ui,
        ulong ul when ul <= long.MaxValue => (long)ul,
        double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9e15 => (long)d,
        decimal m when decimal.Floor(m) == m && Math.Abs(m) < 9e15m => (long)m,
        _ => null,
    };
}
