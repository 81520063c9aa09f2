using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Patronus.Server.Api;

/// <summary>
/// JSON conventions of the REST API: snake_case names (the seed's shapes), and unknown request
/// fields rejected so a misspelt field is an error naming it rather than silently ignored.
/// </summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,

            // {"name":"a","name":"b"} is refused, not read as one of them: parsers disagree on which wins.
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Largest request body the API reads (64 KiB, however it is framed); topology objects are small.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Reads the body as <typeparamref name="T"/>. On failure returns a problem result naming the
    /// offending field (from the JSON path) instead of throwing: 415 unless the media type is
    /// <c>application/json</c> (parameters such as <c>charset</c> allowed), 413 for a body over
    /// <see cref="MaxBodyBytes"/> — declared or, chunked, found while reading — and the status
    /// Kestrel gives a body broken on the wire.
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJson(request.ContentType))
        {
            return (null, NotJson());
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        // Kestrel enforces the limit on a chunked body too, while it is read.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            var value = typeof(T) == typeof(JsonObject)
                ? AsObject(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body, Options, cancellationToken).ConfigureAwait(false)) as T
                : await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken).ConfigureAwait(false);
            return value is null
                ? (null, Problems.Invalid("body", "the body must be a JSON object"))
                : (value, null);
        }
        catch (JsonException ex)
        {
            var field = FieldOf(ex.Path);
            return (null, Problems.Invalid(field, Describe(ex)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problems.Status(ex.StatusCode, "Bad request body", ex.Message));
        }
    }

    // Through JsonElement, which refuses a duplicate name with a JsonException (JsonObject would throw ArgumentException).
    private static JsonObject? AsObject(JsonElement element) => element.ValueKind == JsonValueKind.Object ? JsonObject.Create(element) : null;

    /// <summary><c>application/json</c>, with any parameters, in any case; not <c>application/jsonp</c> or another type that merely starts the same.</summary>
    internal static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) &&
        string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The 415 for a body that is not <see cref="IsJson"/> (REST and <c>POST /graphql</c> alike).</summary>
    internal static IResult NotJson() =>
        Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "send the body as application/json");

    private static IResult TooLarge() =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Body too large", $"the body is larger than {MaxBodyBytes} bytes");

    /// <summary>The serializer's messages name .NET types; say it in the API's terms instead.</summary>
    internal static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field";
        }

        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            var name = message.Split('\'') is [_, var quoted, ..] ? quoted : "a field";
            return $"'{name}' is given more than once";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "has the wrong type (check quoting: numbers and booleans are not strings)";
        }

        return ex.Path is null or "$" ? "the body is not valid JSON" : "is not valid JSON here";
    }

    /// <summary>"$.targets[2]" → "targets[2]"; "$" or null → "body".</summary>
    internal static string FieldOf(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "body";
        }

        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }
}
