using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Patronus.Server.Api;

/// <summary>
/// HTTP limits, and their answers as problem details rather than Kestrel's empty bodies or a 500.
/// <list type="bullet">
/// <item>A request target (path and query) longer than <see cref="MaxTargetBytes"/> gets 414 from
/// <see cref="UseRequestLimits"/>. Kestrel refuses request lines past
/// <see cref="KestrelMaxRequestLineBytes"/> itself, before any middleware, with an empty body:
/// that limit is set well above ours so only a line no client sends meets it.</item>
/// <item>A body read past its limit (<see cref="ApiJson.MaxBodyBytes"/> for REST, however it is
/// framed) or malformed on the wire throws Kestrel's <see cref="BadHttpRequestException"/>;
/// <see cref="StatusCodeOf"/> lets the exception handler answer with its status (413, 400, 408…)
/// instead of 500.</item>
/// </list>
/// What Kestrel refuses itself before the application sees it (a malformed request line or header, a
/// NUL, <c>%00</c>, in the path, a request line over <see cref="KestrelMaxRequestLineBytes"/>, headers
/// over 32 KiB) it answers with an empty body; <see cref="KestrelRejections"/> adds problem details.
/// </summary>
public static class RequestLimits
{
    /// <summary>Longest request target (path and query, as sent) the server answers normally: 8 KiB, what Kestrel allows by default.</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>Kestrel's request-line limit, raised from its 8 KiB default so our 414 with problem details answers first (32 KiB, the size of all headers together).</summary>
    public const int KestrelMaxRequestLineBytes = 32 * 1024;

    /// <summary>Raises Kestrel's request-line limit above <see cref="MaxTargetBytes"/>.</summary>
    public static void ConfigureKestrel(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.MaxRequestLineSize = KestrelMaxRequestLineBytes;
        options.ConfigureEndpointDefaults(KestrelRejections.Use);
    }

    /// <summary>The status of a client error Kestrel raised while the application read the request; 500 for anything else.</summary>
    public static int StatusCodeOf(Exception exception) =>
        exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;

    /// <summary>Answers an over-long request target with 414 and problem details, before anything else reads it.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var length = target?.Length ?? (context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0);
        if (length > MaxTargetBytes)
        {
            await Problems.Status(StatusCodes.Status414UriTooLong, "Request target too long",
                $"the path and query are {length} bytes; at most {MaxTargetBytes} are accepted").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>
    /// Problem details with the status of <see cref="StatusCodeOf"/> for exceptions that escape an
    /// endpoint; a client's bad request is not logged as a server error (a client could flood the log).
    /// </summary>
    public static void ConfigureExceptionHandler(ExceptionHandlerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.StatusCodeSelector = StatusCodeOf;
        options.SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException;
    }
}
