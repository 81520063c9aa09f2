using Patronus.Engine.Storage;

namespace Patronus.Server.Commands;

/// <summary>Why a command was refused; each adapter says it in its own terms (HTTP status, GraphQL <c>extensions.code</c>).</summary>
public enum CommandErrorKind
{
    /// <summary>The input is wrong: 400, <c>BAD_USER_INPUT</c>, with the field errors.</summary>
    Invalid,

    /// <summary>The item does not exist: 404, <c>NOT_FOUND</c>.</summary>
    NotFound,

    /// <summary>It clashes with what is stored (exists, read-only, in use): 409, <c>CONFLICT</c>.</summary>
    Conflict,

    /// <summary>The store is not ready yet: 503, <c>UNAVAILABLE</c>.</summary>
    Unavailable,

    /// <summary>The store answered something unexpected: 500, <c>INTERNAL</c>.</summary>
    Internal,
}

/// <summary>
/// A refused command: what kind of refusal, a short title (REST's problem title), the message
/// that names what is wrong, and for <see cref="CommandErrorKind.Invalid"/> the errors per field
/// (API field names, e.g. <c>bfd.auth.secret</c>, <c>prefixes[1]</c>).
/// </summary>
public sealed record CommandError(CommandErrorKind Kind, string Title, string Message, IReadOnlyDictionary<string, string[]>? Fields = null)
{
    public static CommandError Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static CommandError Invalid(IReadOnlyDictionary<string, string[]> fields) =>
        new(CommandErrorKind.Invalid, "The request is invalid",
            string.Join("; ", fields.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), fields);

    public static CommandError NotFound(string kind, string id) =>
        new(CommandErrorKind.NotFound, $"No such {kind}", $"{kind} '{id}' does not exist");

    public static CommandError Conflict(string title, string message) => new(CommandErrorKind.Conflict, title, message);

    public static CommandError NotReady { get; } =
        new(CommandErrorKind.Unavailable, "Not ready", "the store is not initialised yet; see /health/ready");

    /// <summary>A failed store write; <paramref name="field"/> names the input a missing reference came from.</summary>
    public static CommandError From(StoreResult result, string field) => result.Status switch
    {
        StoreStatus.NotFound => new(CommandErrorKind.NotFound, "Not found", result.Message ?? "not found"),
        StoreStatus.Conflict => Conflict("Already exists", result.Message ?? "conflict"),
        StoreStatus.ReadOnly => Conflict("Read-only", result.Message ?? "read-only"),
        StoreStatus.InUse => Conflict("In use", result.Message ?? "in use"),
        StoreStatus.MissingReference => Invalid(field, result.Message ?? "refers to an item that does not exist"),
        _ => new(CommandErrorKind.Internal, "Store error", result.Message ?? "unexpected store result"),
    };
}

/// <summary>What a command returns: the value it produced, or why it was refused.</summary>
public readonly record struct CommandResult<T>(T? Value, CommandError? Error)
    where T : class
{
    public bool Succeeded => Error is null;

    public static implicit operator CommandResult<T>(T value) => new(value, null);

    public static implicit operator CommandResult<T>(CommandError error) => new(null, error);
}
