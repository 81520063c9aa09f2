using System.Text.Json;
using System.Text.Json.Nodes;
using Patronus.Server.Api;

namespace Patronus.Server.Commands;

/// <summary>
/// The input of a write as both APIs hand it over: a JSON object in the REST shape (snake_case
/// names; GraphQL's adapter renames its camelCase input). An update is an RFC 7396 merge patch over
/// the item as it stands — a field the request names is set (null clears it, objects merge field by
/// field), one it does not name keeps its value — so no update drops what it does not mention.
/// </summary>
public static class CommandInput
{
    /// <summary>Reads <paramref name="json"/> as <typeparamref name="T"/> with the REST API's rules (unknown fields refused), or the error naming the field.</summary>
    public static CommandResult<T> Read<T>(JsonObject json)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return json.Deserialize<T>(ApiJson.Options) is { } value ? value : CommandError.Invalid("body", "the body must be a JSON object");
        }
        catch (JsonException ex)
        {
            return CommandError.Invalid(ApiJson.FieldOf(ex.Path), ApiJson.Describe(ex));
        }
    }

    /// <summary>The current item, written as the input that would create it (write-only fields such as secrets are absent).</summary>
    public static JsonObject Write<T>(T input)
        where T : class => JsonSerializer.SerializeToNode(input, ApiJson.Options)!.AsObject();

    /// <summary>RFC 7396: <paramref name="patch"/> applied to a copy of <paramref name="target"/>.</summary>
    public static JsonObject MergePatch(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        var result = target.DeepClone().AsObject();
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else if (value is JsonObject nested)
            {
                result[name] = MergePatch(result[name] as JsonObject ?? [], nested);
            }
            else
            {
                result[name] = value.DeepClone();
            }
        }

        return result;
    }
}
