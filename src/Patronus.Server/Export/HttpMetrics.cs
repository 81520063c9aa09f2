using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Patronus.Server.Export;

/// <summary>
/// HTTP instruments (meter <c>Patronus.Http</c>): requests and their duration by method, route
/// template (<c>/api/v1/paths/{id}</c>, never the raw path: bounded cardinality) and status code.
/// A request that matched no route is labelled <c>route="unmatched"</c>.
/// </summary>
public sealed class HttpMetrics : IDisposable
{
    public const string MeterName = "Patronus.Http";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public HttpMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("patronus.http.requests", "{request}", "HTTP requests by method, route template and status");
        _duration = _meter.CreateHistogram<double>("patronus.http.request.duration", "s", "HTTP request duration by method, route template and status");
    }

    /// <summary>Middleware: times every request and records it once the response is complete.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var started = Stopwatch.GetTimestamp();
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context).ConfigureAwait(false);
            status = context.Response.StatusCode;
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            ReadOnlySpan<KeyValuePair<string, object?>> tags =
            [
                new("method", context.Request.Method),
                new("route", route),
                new("status", StatusText(status)),
            ];
            _requests.Add(1, tags);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    public void Dispose() => _meter.Dispose();

    // Interned texts for the common codes: no allocation per request.
    private static string StatusText(int status) => status switch
    {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        500 => "500",
        503 => "503",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// Authentication instruments (meter <c>Patronus.Auth</c>): refused credentials by reason
/// (<c>missing_token</c>, <c>invalid_token</c>, and once users exist <c>login_failed</c>) — what the
/// "auth failure burst" alert watches.
/// </summary>
public sealed class AuthMetrics : IDisposable
{
    public const string MeterName = "Patronus.Auth";

    private readonly Meter _meter;
    private readonly Counter<long> _failures;

    public AuthMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _failures = _meter.CreateCounter<long>("patronus.auth.failures", "{failure}", "Refused credentials by reason");
    }

    public void Failed(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}

/// <summary>WebSocket instruments (meter <c>Patronus.WebSockets</c>): connections open now.</summary>
public sealed class WebSocketMetrics : IDisposable
{
    public const string MeterName = "Patronus.WebSockets";

    private readonly Meter _meter;
    private long _open;

    public WebSocketMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);

        // Observed at scrape time: the series exists (0) before the first connection.
        _meter.CreateObservableUpDownCounter("patronus.websocket.connections", () => Volatile.Read(ref _open), "{connection}", "WebSocket connections open");
    }

    public void Opened() => Interlocked.Increment(ref _open);

    public void Closed() => Interlocked.Decrement(ref _open);

    public void Dispose() => _meter.Dispose();
}
