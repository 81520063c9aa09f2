using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Patronus.GraphQL.Execution;
using Patronus.Server.Commands;

namespace Patronus.Server.GraphQL;

/// <summary>
/// The GraphQL side of a write: arguments in as REST's JSON shape, a refusal out as a field error
/// whose message is REST's detail and whose <c>extensions.code</c> says the kind
/// (<c>BAD_USER_INPUT</c> with the field errors, <c>NOT_FOUND</c>, <c>CONFLICT</c>, <c>UNAVAILABLE</c>).
/// </summary>
internal static class CommandErrors
{
    /// <summary>The command's value, or its refusal thrown as a GraphQL error.</summary>
    public static T ValueOf<T>(CommandResult<T> result)
        where T : class => result.Value ?? throw ToException(result.Error!);

    /// <summary>True when the command went through, else its refusal thrown.</summary>
    public static object Done(CommandError? error) => error is null ? true : throw ToException(error);

    public static GraphQLException ToException(CommandError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["code"] = error.Kind switch
            {
                CommandErrorKind.Invalid => "BAD_USER_INPUT",
                CommandErrorKind.NotFound => "NOT_FOUND",
                CommandErrorKind.Conflict => "CONFLICT",
                CommandErrorKind.Unavailable => "UNAVAILABLE",
                _ => "INTERNAL",
            },
        };
        if (error.Fields is { Count: > 0 } fields)
        {
            extensions["fields"] = fields.ToDictionary(e => e.Key, e => (object?)e.Value.ToList<object?>(), StringComparer.Ordinal);
        }

        return new GraphQLException(error.Message, extensions);
    }

    /// <summary>
    /// Coerced input (given fields only; camelCase) as the REST JSON the commands read: names in
    /// snake_case, nested input objects and lists alike. A field given as null stays null (it clears).
    /// </summary>
    public static JsonObject Input(IReadOnlyDictionary<string, object?> arguments, string? except = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var json = new JsonObject();
        foreach (var (name, value) in arguments)
        {
            if (name != except)
            {
                json[JsonNamingPolicy.SnakeCaseLower.ConvertName(name)] = Node(value);
            }
        }

        return json;
    }

    private static JsonNode? Node(object? value) => value switch
    {
        null => null,
        IReadOnlyDictionary<string, object?> map => Input(map),
        string text => JsonValue.Create(text),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(Node)]),
        _ => JsonSerializer.SerializeToNode(value),
    };
}
