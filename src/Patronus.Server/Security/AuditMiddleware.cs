using Patronus.Server.Api;

namespace Patronus.Server.Security;

/// <summary>
/// Records every change attempted through the REST API — every request under <c>/api/v1</c> that is
/// not GET/HEAD/OPTIONS — with who (the token's user, or none), what (method and route template),
/// the target (the request path), from where (the client address as the server sees it: behind a
/// proxy, the proxy), when and how it ended (status). Request bodies are not recorded (passwords).
/// The auth endpoints record their own entries (the login's username is in the body). Written
/// before the response completes; a store failure is logged and does not fail the request.
/// <see cref="AuditLog"/> decides what is stored: refused requests are summarised per source.
/// </summary>
public sealed class AuditMiddleware
{
    private readonly RequestDelegate _next;

    public AuditMiddleware(RequestDelegate next)
    {
        _next = next;
    }

    public async Task InvokeAsync(HttpContext context, AuditLog audit)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(audit);
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) ||
            !request.Path.StartsWithSegments(ApiEndpoints.Prefix, StringComparison.OrdinalIgnoreCase) ||
            request.Path.StartsWithSegments(AuthEndpoints.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await _next(context).ConfigureAwait(false);
            status = context.Response.StatusCode;
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? request.Path.Value;
            await audit.RecordAsync(context, $"{request.Method} {route}", request.Path.Value, status).ConfigureAwait(false);
        }
    }
}
