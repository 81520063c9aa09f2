using Patronus.Server.Commands;

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

    /// <summary>A refused command as problem details: 400 with the field errors, 404, 409, 503 or 500.</summary>
    public static IResult From(CommandError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Kind switch
        {
            CommandErrorKind.Invalid => Invalid(error.Fields!.ToDictionary(StringComparer.Ordinal)),
            CommandErrorKind.NotFound => Status(StatusCodes.Status404NotFound, error.Title, error.Message),
            CommandErrorKind.Conflict => Status(StatusCodes.Status409Conflict, error.Title, error.Message),
            CommandErrorKind.Unavailable => Status(StatusCodes.Status503ServiceUnavailable, error.Title, error.Message),
            _ => Status(StatusCodes.Status500InternalServerError, error.Title, error.Message),
        };
    }

    /// <summary>204 when the command went through, else its problem.</summary>
    public static IResult NoContentOr(CommandError? error) => error is null ? Results.NoContent() : From(error);
}
