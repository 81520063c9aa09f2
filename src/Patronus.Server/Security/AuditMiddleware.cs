using Patronus.Persistence.Security;
using Patronus.Server.Api;

namespace Patronus.Server.Security;

/// <summary>
/// Records every change attempted through the REST API — every request under <c>/api/v1</c> that is
/// not GET/HEAD/OPTIONS — with who (the token's user, or none), what (method and route template),
/// the target (the request path), from where (the client address as the server sees it: behind a
/// proxy, the proxy), when and how it ended (status). Request bodies are not recorded (passwords).
/// The auth endpoints record their own entries (the login's username is in the body). Written
/// before the response completes; a store failure is logged and does not fail the request.
/// </summary>
public sealed partial class AuditMiddleware
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

/// <summary>Writes audit entries to the store.</summary>
public sealed partial class AuditLog
{
    private readonly IAuditStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;

    public AuditLog(IAuditStore store, TimeProvider time, ILogger<AuditLog> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary><c>success</c> below 400, <c>denied</c> for 401/403/429, else <c>failed</c>.</summary>
    public static string ResultOf(int status) => status switch
    {
        < 400 => "success",
        401 or 403 or 429 => "denied",
        _ => "failed",
    };

    public Task RecordAsync(HttpContext context, string action, string? target, int status, string? username = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return WriteAsync(new AuditRecord(_time.GetUtcNow(), username ?? context.User.Identity?.Name, action, target,
            context.Connection.RemoteIpAddress?.ToString(), ResultOf(status), status, detail));
    }

    private async Task WriteAsync(AuditRecord entry)
    {
        try
        {
            // Not the request's token: an audit entry is written even when the client has gone.
            await _store.InsertAuditAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the audit must never turn a completed change into a failed request
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogAuditFailed(_logger, entry.Action, entry.Username, entry.StatusCode, ex);
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Error, Message = "Could not write the audit entry for {Action} by {User} (status {Status})")]
    private static partial void LogAuditFailed(ILogger logger, string action, string? user, int status, Exception exception);
}
