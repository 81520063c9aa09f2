using System.Security.Claims;

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
