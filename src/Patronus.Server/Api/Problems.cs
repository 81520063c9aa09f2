using Patronus.Engine.Storage;

namespace Patronus.Server.Api;

/// <summary>RFC 7807 problem details for the API, always naming what was wrong.</summary>
public static class Problems
{
    public static IResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            title: "The request is invalid");

    public static IResult Status(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);

    public static IResult NotFound(string kind, string id) =>
        Status(StatusCodes.Status404NotFound, $"No such {kind}", $"{kind} '{id}' does not exist");

    /// <summary>Maps a failed store write to its HTTP status.</summary>
    public static IResult From(StoreResult result, string field) => result.Status switch
    {
        StoreStatus.NotFound => Status(StatusCodes.Status404NotFound, "Not found", result.Message ?? "not found"),
        StoreStatus.Conflict => Status(StatusCodes.Status409Conflict, "Already exists", result.Message ?? "conflict"),
        StoreStatus.ReadOnly => Status(StatusCodes.Status409Conflict, "Read-only", result.Message ?? "read-only"),
        StoreStatus.InUse => Status(StatusCodes.Status409Conflict, "In use", result.Message ?? "in use"),
        StoreStatus.MissingReference => Invalid(field, result.Message ?? "refers to an item that does not exist"),
        _ => Status(StatusCodes.Status500InternalServerError, "Store error", result.Message ?? "unexpected store result"),
    };
}
