using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Patronus.Server.Observability;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Observability;

/// <summary>
/// The request spans docs/tracing.md promises, from the instrumentation Patronus registers
/// (<see cref="TracingServiceCollectionExtensions.AddPatronusInstrumentation"/>), on a minimal app
/// on loopback whose endpoints answer what a case needs (a 5xx cannot be provoked on the real
/// server at will; <see cref="TracingEndToEndTests"/> checks the rest there over OTLP). Activity
/// listeners are process-wide: spans are picked by a path only this instance requests.
/// </summary>
public sealed class TracingHttpSpanTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly string _id = Guid.NewGuid().ToString("N");
    private WebApplication _app = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddPatronusInstrumentation()
            .AddProcessor(new SimpleActivityExportProcessor(new CollectingExporter(_spans))));
        _app = builder.Build();
        _app.MapGet("/api/v1/paths/{id}", (string id) => Results.Ok(id));
        _app.MapPost("/api/v1/fail/{id}", () => Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        await _app.StartAsync();
        _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Request_Routed_NamedAfterMethodAndRouteWithHttpAttributes()
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/v1/paths/{_id}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

        var span = await ServerSpanAsync($"/api/v1/paths/{_id}");
        Assert.Equal("GET /api/v1/paths/{id}", span.DisplayName);
        Assert.Equal("Microsoft.AspNetCore", span.Source.Name);
        Assert.Equal("/api/v1/paths/{id}", span.GetTagItem("http.route"));
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal("http", span.GetTagItem("url.scheme"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact]
    public async Task Request_NoRoute_NamedAfterMethodOnlyAndNoError()
    {
        using var response = await SendAsync(HttpMethod.Get, $"/nothing/here/{_id}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);

        var span = await ServerSpanAsync($"/nothing/here/{_id}");
        Assert.Equal("GET", span.DisplayName); // not the path: one name per URL would be unbounded
        Assert.Null(span.GetTagItem("http.route"));
        Assert.Equal(404, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status); // a 4xx is the client's error
    }

    [Fact]
    public async Task Request_ServerError_ErrorStatusAndType()
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/fail/{_id}");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var span = await ServerSpanAsync($"/api/v1/fail/{_id}");
        Assert.Equal("POST /api/v1/fail/{id}", span.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("503", span.GetTagItem("error.type"));
    }

    [Fact]
    public async Task HttpClient_OutgoingRequest_ClientSpanParentOfTheServerSpan()
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/v1/paths/{_id}");

        var server = await ServerSpanAsync($"/api/v1/paths/{_id}");
        Activity? client = null;
        Assert.True(await Poll.UntilAsync(() => (client = _spans.FirstOrDefault(s => s.Kind == ActivityKind.Client && s.SpanId == server.ParentSpanId)) is not null, s_timeout),
            $"no client span is the parent of {server.DisplayName} (parent {server.ParentSpanId})");
        Assert.Equal("System.Net.Http", client!.Source.Name);
        Assert.Equal("GET", client.GetTagItem("http.request.method"));
        Assert.Equal(server.TraceId, client.TraceId); // traceparent went along
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
    {
        using var client = new HttpClient { BaseAddress = _base };
        using var request = new HttpRequestMessage(method, path);
        return await client.SendAsync(request);
    }

    private async Task<Activity> ServerSpanAsync(string path)
    {
        Activity? span = null;
        Assert.True(await Poll.UntilAsync(() => (span = _spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && Equals(s.GetTagItem("url.path"), path))) is not null, s_timeout),
            $"no server span for {path}; got: {string.Join(", ", _spans.Select(s => s.DisplayName))}");
        return span!;
    }

    private sealed class CollectingExporter(ConcurrentQueue<Activity> into) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch)
            {
                into.Enqueue(activity);
            }

            return ExportResult.Success;
        }
    }
}
