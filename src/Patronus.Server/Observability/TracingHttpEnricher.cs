using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace Patronus.Server.Observability;

/// <summary>
/// Names ASP.NET Core's request span after its route (<c>GET /api/v1/paths/{id}</c>) and makes
/// sure it carries the HTTP semantic-convention attributes. ASP.NET Core builds the span itself
/// when a listener exists; this middleware runs first, outside everything, and finishes the span
/// after the response status is known.
/// </summary>
internal sealed class TracingHttpEnricher : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(EnrichAsync);
        next(app);
    };

    private static async Task EnrichAsync(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true } activity)
        {
            Enrich(activity, context);
        }
    }

    internal static void Enrich(System.Diagnostics.Activity activity, HttpContext context)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.SetTag("http.request.method", context.Request.Method);
        activity.SetTag("url.scheme", context.Request.Scheme);
        activity.SetTag("url.path", context.Request.Path.Value);
        activity.SetTag("http.response.status_code", context.Response.StatusCode);
        if (route is not null)
        {
            activity.SetTag("http.route", route);
        }

        // Semantic conventions: "{method} {route}", or the method alone when nothing matched (a
        // path would make one span name per id).
        activity.DisplayName = route is null ? context.Request.Method : $"{context.Request.Method} {route}";
        if (context.Response.StatusCode >= 500)
        {
            // Server spans are errors for 5xx only: a 4xx is the client's mistake, answered correctly.
            activity.SetTag("error.type", context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
        }
    }
}
