using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Patronus.GraphQL.Execution;

/// <summary>
/// Writes responses as JSON (System.Text.Json) in the spec's order: <c>errors</c> first when
/// present, then <c>data</c>, then <c>extensions</c> (§7.1); reads request bodies and variables.
/// </summary>
public static class ResultJson
{
    /// <summary>The response as a JSON string.</summary>
    public static string Serialize(ExecutionResult result, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = indented,

            // Responses are JSON bodies, never HTML: keep non-ASCII text and '+' readable.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            Write(writer, result);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the response object.</summary>
    public static void Write(Utf8JsonWriter writer, ExecutionResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteStartObject();
        if (result.Errors.Count > 0)
        {
            writer.WritePropertyName("errors");
            WriteErrors(writer, result.Errors);
        }

        if (result.HasData)
        {
            writer.WritePropertyName("data");
            WriteValue(writer, result.Data);
        }

        if (result.Extensions is { Count: > 0 } extensions)
        {
            writer.WritePropertyName("extensions");
            WriteValue(writer, extensions);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes an error list.</summary>
    public static void WriteErrors(Utf8JsonWriter writer, IReadOnlyList<GraphQLError> errors)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(errors);
        writer.WriteStartArray();
        foreach (var error in errors)
        {
            writer.WriteStartObject();
            writer.WriteString("message", error.Message);
            if (error.Locations is { Count: > 0 } locations)
            {
                writer.WriteStartArray("locations");
                foreach (var location in locations)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("line", location.Line);
                    writer.WriteNumber("column", location.Column);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            if (error.Path is { } path)
            {
                writer.WritePropertyName("path");
                WriteValue(writer, path);
            }

            if (error.Extensions is { Count: > 0 } extensions)
            {
                writer.WritePropertyName("extensions");
                WriteValue(writer, extensions);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes a completed value: null, bool, numbers, string, maps (in order) and lists.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            // The commonest first: leaves (string, double) and the executor's objects.
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case double d: writer.WriteNumberValue(d); break;
            case ResultMap result:
                writer.WriteStartObject();
                if (result.EncodedKeys is { } encoded)
                {
                    // Keys encoded once per selection, not escaped and transcoded again for every object.
                    for (var i = 0; i < result.Count; i++)
                    {
                        writer.WritePropertyName(encoded[i]);
                        WriteValue(writer, result.ValueAt(i));
                    }
                }
                else
                {
                    for (var i = 0; i < result.Count; i++)
                    {
                        writer.WritePropertyName(result.KeyAt(i));
                        WriteValue(writer, result.ValueAt(i));
                    }
                }

                writer.WriteEndObject();
                break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case float f: writer.WriteNumberValue(f); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case short or byte or sbyte or ushort or uint: writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong ul: writer.WriteNumberValue(ul); break;
            case JsonElement element: element.WriteTo(writer); break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// A JSON value as the plain .NET values input coercion expects: null, bool, string, int/long
    /// (integers that fit) or double, <c>List&lt;object?&gt;</c>, <c>Dictionary&lt;string, object?&gt;</c>.
    /// </summary>
    public static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt32(out var i) ? (object)i : element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToList(),
        _ => ToMap(element),
    };

    private static Dictionary<string, object?> ToMap(JsonElement element)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            map[property.Name] = ToValue(property.Value);
        }

        return map;
    }

    /// <summary>
    /// Reads a GraphQL-over-HTTP request body (<c>query</c>, <c>operationName</c>, <c>variables</c>).
    /// False with a message when the body is not a valid request.
    /// </summary>
    public static bool TryReadRequest(JsonElement body, out GraphQLRequest? request, out string? error)
    {
        request = null;
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "Request body must be a JSON object.";
            return false;
        }

        if (!body.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
        {
            error = "Must provide query string.";
            return false;
        }

        string? operationName = null;
        if (body.TryGetProperty("operationName", out var name) && name.ValueKind != JsonValueKind.Null)
        {
            if (name.ValueKind != JsonValueKind.String)
            {
                error = "\"operationName\" must be a string.";
                return false;
            }

            operationName = name.GetString();
        }

        Dictionary<string, object?>? variables = null;
        if (body.TryGetProperty("variables", out var vars) && vars.ValueKind != JsonValueKind.Null)
        {
            if (vars.ValueKind != JsonValueKind.Object)
            {
                error = "\"variables\" must be an object.";
                return false;
            }

            variables = ToMap(vars);
        }

        request = new GraphQLRequest(query.GetString()!, operationName, variables);
        return true;
    }
}
