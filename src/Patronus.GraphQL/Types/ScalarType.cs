using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Types;

/// <summary>The outcome of coercing one scalar value: the value, or a message saying why not.</summary>
public readonly record struct CoercionResult(bool IsSuccess, object? Value, string? Error)
{
    /// <summary>A successful coercion.</summary>
    public static CoercionResult Success(object? value) => new(true, value, null);

    /// <summary>A failed coercion with its message.</summary>
    public static CoercionResult Fail(string error) => new(false, null, error);
}

/// <summary>
/// A scalar type (spec §3.5). Three coercions, each given a non-null value: <see cref="Serialize"/>
/// turns a resolver's value into a JSON-ready one, <see cref="ParseValue"/> coerces a variable value
/// (from JSON), <see cref="ParseLiteral"/> coerces a document literal (never a variable or null).
/// </summary>
public class ScalarType : NamedType
{
    private readonly Func<object, CoercionResult> _serialize;
    private readonly Func<object, CoercionResult> _parseValue;
    private readonly Func<ValueNode, CoercionResult> _parseLiteral;

    public ScalarType(
        string name,
        string? description,
        Func<object, CoercionResult> serialize,
        Func<object, CoercionResult> parseValue,
        Func<ValueNode, CoercionResult> parseLiteral,
        string? specifiedByUrl = null)
        : base(name, description)
    {
        ArgumentNullException.ThrowIfNull(serialize);
        ArgumentNullException.ThrowIfNull(parseValue);
        ArgumentNullException.ThrowIfNull(parseLiteral);
        _serialize = serialize;
        _parseValue = parseValue;
        _parseLiteral = parseLiteral;
        SpecifiedByUrl = specifiedByUrl;
    }

    /// <summary>The URL of the scalar's specification (<c>@specifiedBy</c>), or null.</summary>
    public string? SpecifiedByUrl { get; }

    /// <summary>Whether this is one of the spec's five scalars.</summary>
    public bool IsSpecified => ReferenceEquals(this, Scalars.Int) || ReferenceEquals(this, Scalars.Float)
        || ReferenceEquals(this, Scalars.String) || ReferenceEquals(this, Scalars.Boolean) || ReferenceEquals(this, Scalars.ID);

    /// <summary>Output coercion of a non-null resolver value.</summary>
    public CoercionResult Serialize(object value)
    {
        // Once per leaf of every response: no closure, unlike the input coercions below.
#pragma warning disable CA1031 // a custom scalar's delegate is user code, as in Guard
        try
        {
            return _serialize(value);
        }
        catch (Exception e)
        {
            return CoercionResult.Fail(e.Message);
        }
#pragma warning restore CA1031
    }

    /// <summary>Input coercion of a non-null variable value.</summary>
    public CoercionResult ParseValue(object value) => Guard(() => _parseValue(value));

    /// <summary>Input coercion of a non-null, non-variable literal.</summary>
    public CoercionResult ParseLiteral(ValueNode literal) => Guard(() => _parseLiteral(literal));

    // A custom scalar's delegate is user code: a throw in it becomes a coercion error, not a crash.
#pragma warning disable CA1031
    private static CoercionResult Guard(Func<CoercionResult> coerce)
    {
        try
        {
            return coerce();
        }
        catch (Exception e)
        {
            return CoercionResult.Fail(e.Message);
        }
    }
#pragma warning restore CA1031
}
