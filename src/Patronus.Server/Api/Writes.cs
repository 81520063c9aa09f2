using System.Text.Json.Nodes;
using Patronus.Server.Commands;

namespace Patronus.Server.Api;

/// <summary>The REST side of a write: body in, command run, answer out.</summary>
internal static class Writes
{
    /// <summary>
    /// Reads the body, runs the command and answers: 201 with <c>Location</c> for a create
    /// (<paramref name="location"/> given, relative to <c>/api/v1/</c>), 200 for an update, or the problem.
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

        var result = await command(body!).ConfigureAwait(false);
        if (result.Value is not { } value)
        {
            return Problems.From(result.Error!);
        }

        return location is null ? Results.Ok(view(value)) : Results.Created($"{ApiEndpoints.Prefix}/{location(value)}", view(value));
    }
}
