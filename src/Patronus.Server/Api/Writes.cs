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

        AnswerKeyedWith(request, view, location);
        var result = await command(body!).ConfigureAwait(false);
        if (result.Value is not { } value)
        {
            return Problems.From(result.Error!);
        }

        return KeptAnswer() ?? (location is null ? Results.Ok(view(value)) : Results.Created($"{ApiEndpoints.Prefix}/{location(value)}", view(value)));
    }

    /// <summary>
    /// Under an <c>Idempotency-Key</c> (<see cref="IdempotentWrite.Current"/>), tells the store how this
    /// endpoint answers from the item it writes (a <typeparamref name="T"/>): 201 with <c>Location</c>
    /// (<paramref name="location"/> given, relative to <c>/api/v1/</c>) or 200, the body the item's
    /// <paramref name="view"/> as the API's JSON options write it. Nothing without a key.
    /// </summary>
    public static void AnswerKeyedWith<T>(HttpRequest request, Func<T, object> view, Func<T, string>? location)
        where T : class
    {
        if (IdempotentWrite.Current is not { } keyed)
        {
            return;
        }

        var json = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        keyed.AnswerWith(written => written is T value
            ? new StoredResponse(location is null ? StatusCodes.Status200OK : StatusCodes.Status201Created, JsonContentType,
                location is null ? null : $"{ApiEndpoints.Prefix}/{location(value)}", JsonSerializer.SerializeToUtf8Bytes(view(value), json))
            : throw new InvalidOperationException($"the store wrote a {written?.GetType().Name ?? "null"} where a {typeof(T).Name} was expected"));
    }

    /// <summary>The answer committed with this request's keyed write, to send as stored; null when none was (no key, or the write refused).</summary>
    public static IResult? KeptAnswer() => IdempotentWrite.Current?.Stored is { } stored ? new StoredResult(stored) : null;

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
