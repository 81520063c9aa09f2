using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Patronus.GraphQL.Execution;

namespace Patronus.Server.GraphQL;

/// <summary>What a Patronus resolver gets as the engine's opaque context: the caller and the request's services.</summary>
/// <param name="User">The authenticated caller (the endpoint refuses anonymous requests before execution).</param>
/// <param name="Services">The request's service provider.</param>
/// <param name="ClientAddress">The caller's address, for the audit log.</param>
/// <param name="Http">The HTTP request when there is one (not for WebSocket subscriptions); the audit log needs it.</param>
public sealed record PatronusGraphQLContext(ClaimsPrincipal User, IServiceProvider Services, string? ClientAddress, HttpContext? Http = null)
{
    public T Service<T>()
        where T : notnull => Services.GetRequiredService<T>();
}

/// <summary>
/// Turns the outcome of a shared REST write (an <see cref="IResult"/>) into GraphQL: success goes
/// on, a problem becomes a GraphQL error with the problem's detail as message and
/// <c>extensions.code</c> (<c>BAD_USER_INPUT</c> with the field errors, <c>NOT_FOUND</c>,
/// <c>CONFLICT</c>, <c>UNAVAILABLE</c>), so both APIs refuse the same things with the same words.
/// </summary>
internal static class GraphQLResults
{
    public static void ThrowIfProblem(IResult result)
    {
        if (result is not IStatusCodeHttpResult { StatusCode: >= 400 and var status })
        {
            return;
        }

        var problem = result switch
        {
            ProblemHttpResult p => p.ProblemDetails,
            ValidationProblem v => v.ProblemDetails,
            _ => null,
        };
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["code"] = status switch
            {
                400 => "BAD_USER_INPUT",
                404 => "NOT_FOUND",
                409 => "CONFLICT",
                503 => "UNAVAILABLE",
                _ => "INTERNAL",
            },
        };
        if (problem is Microsoft.AspNetCore.Http.HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            extensions["fields"] = validation.Errors.ToDictionary(e => e.Key, e => (object?)e.Value.ToList<object?>(), StringComparer.Ordinal);
        }

        throw new GraphQLException(problem?.Detail ?? problem?.Title ?? $"refused ({status})", extensions);
    }
}
