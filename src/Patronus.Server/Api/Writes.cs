using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Patronus.Persistence.Idempotency;
using Patronus.Server.Commands;

namespace Patronus.Server.Api;

/// <summary>The REST side of a write: body in, command run, answer out.</summary>
internal static class Writes
{
    private const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>
    /// Reads the body, runs the command and answers: 201 with <c>Location</c> for a create
    /// (<paramref name="location"/> given, relative to <c>/api/v1/</c>), 200 for an update, or the problem.
    /// Under an <c>Idempotency-Key</c> the answer is made from the item as the store writes it and kept
    /// in the write's transaction (<see cref="IdempotentWrite"/>); then exactly that answer is sent.
    /// </summary>
    public static async Task<IResult> RunAsync<T>(HttpRequest request, Func<JsonObject, Task<CommandResult<T>>> command, Func<T, object> view,
        Func<T, string>? location, CancellationToken ct)
        where T : class
    {
        var (body, problem) = await ApiJson.ReadAsync<JsonObject>(request, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var keyed = IdempotentWrite.Current;
        if (keyed is not null)
        {
            var json = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            keyed.AnswerWith(written => written is T value
                ? new StoredResponse(location is null ? StatusCodes.Status200OK : StatusCodes.Status201Created, JsonContentType,
                    location is null ? null : $"{ApiEndpoints.Prefix}/{location(value)}", JsonSerializer.SerializeToUtf8Bytes(view(value), json))
                : throw new InvalidOperationException($"the store wrote a {written?.GetType().Name ?? "null"} where a {typeof(T).Name} was expected"));
        }

        var result = await command(body!).ConfigureAwait(false);
        if (result.Value is not { } value)
        {
            return Problems.From(result.Error!);
        }

        if (keyed?.Stored is { } stored)
        {
            return new StoredResult(stored);
        }

        return location is null ? Results.Ok(view(value)) : Results.Created($"{ApiEndpoints.Prefix}/{location(value)}", view(value));
    }

    /// <summary>Runs a delete: 204, or the problem. Under an <c>Idempotency-Key</c> the 204 is kept in the delete's transaction.</summary>
    public static async Task<IResult> DeleteAsync(Func<Task<CommandError?>> command)
    {
        IdempotentWrite.Current?.AnswerWith(_ => new StoredResponse(StatusCodes.Status204NoContent, null, null, []));
        return Problems.NoContentOr(await command().ConfigureAwait(false));
    }

    /// <summary>Writes a kept answer: status, content type, <c>Location</c> and the body with its length.</summary>
    public static async Task WriteAsync(HttpResponse response, StoredResponse stored, CancellationToken ct)
    {
        response.StatusCode = stored.StatusCode;
        response.ContentType = stored.ContentType;
        if (stored.Location is not null)
        {
            response.Headers.Location = stored.Location;
        }

        response.ContentLength = stored.Body.Length;
        await response.Body.WriteAsync(stored.Body, ct).ConfigureAwait(false);
    }

    /// <summary>The answer committed with the write, sent as it was stored.</summary>
    private sealed class StoredResult(StoredResponse stored) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext.Response, stored, httpContext.RequestAborted);
    }
}
