using System.Net.Http.Json;
using System.Net;
using OpenTelemetry.Trace;
using Patronus.Engine.Telemetry;
using Patronus.Server.Health;
using Patronus.Server.Hosting;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Observability;

/// <summary>
/// A real server exporting over OTLP/HTTP to a real (minimal) receiver on loopback. Activity
/// listeners are process-wide, so the receiver may also see spans of other servers that tests run
/// in parallel: every assertion picks spans by something only this test produces, or by existence.
/// </summary>
public sealed class TracingEndToEndTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Server_WithOtlpEndpoint_ExportsHttpFailoverAndProbeRoundSpans()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var server = await RunningServer.StartAsync(environment: new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50", // ms between batches (default 5 s)
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=test,team=net%20ops",
            ["PATRONUS__TRACING__PROBEROUNDSAMPLERATIO"] = "1",
        });
        Assert.NotNull(server.Services.GetService<TracerProvider>());
        Assert.Equal(1.0, server.Services.GetRequiredService<ProbeRoundSampling>().Ratio); // what the monitor is given

        using (var found = await server.Client.GetAsync("/api/v1/paths/demo-wan1-loopback"))
        {
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        }

        using (var missing = await server.Client.GetAsync("/api/v1/paths/no-such-path-e2e"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var graphql = await server.Client.PostAsJsonAsync("/graphql", new { query = "query TracingE2EHealth { allPathsHealth { pathId status } }" }))
        {
            Assert.Equal(HttpStatusCode.OK, graphql.StatusCode);
        }

        // A failover: a primary towards a port where nothing answers, the live quickstart path as backup.
        using (var path = await server.PostJsonAsync("/api/v1/paths", """{"id":"trace-dead","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        using (var policy = await server.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"trace-e2e-policy","primary_path_id":"trace-dead","backup_path_ids":["demo-wan2-loopback"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        }

        var ok = await receiver.WaitForSpanAsync(s => s.Name == "GET /api/v1/paths/{id}" && Equals(s.Attribute("url.path"), "/api/v1/paths/demo-wan1-loopback"),
            s_timeout, "GET /api/v1/paths/{id} → 200");
        Assert.Equal(OtlpSpan.KindServer, ok.Kind);
        Assert.Equal("Microsoft.AspNetCore", ok.ScopeName);
        Assert.Equal("GET", ok.Attribute("http.request.method"));
        Assert.Equal("/api/v1/paths/{id}", ok.Attribute("http.route"));
        Assert.Equal(200L, ok.Attribute("http.response.status_code"));
        Assert.Equal("http", ok.Attribute("url.scheme"));
        Assert.Equal(0, ok.StatusCode); // unset: success is not an error
        Assert.Equal(16, ok.TraceId.Length / 2);
        Assert.Equal(8, ok.SpanId.Length / 2);

        Assert.Equal("patronus", ok.Resource["service.name"]);
        Assert.Equal(ProcessInfo.Version, ok.Resource["service.version"]);
        Assert.Equal("test", ok.Resource["deployment.environment"]);
        Assert.Equal("test", ok.Resource["deployment.environment.name"]);
        Assert.Equal("net ops", ok.Resource["team"]);
        Assert.True(Guid.TryParse(ok.Resource["service.instance.id"] as string, out _), "service.instance.id is a UUID");
        Assert.Equal("opentelemetry", ok.Resource["telemetry.sdk.name"]);

        var notFound = await receiver.WaitForSpanAsync(s => s.ScopeName == "Microsoft.AspNetCore" && Equals(s.Attribute("url.path"), "/api/v1/paths/no-such-path-e2e"),
            s_timeout, "GET /api/v1/paths/{id} → 404");
        Assert.Equal("GET /api/v1/paths/{id}", notFound.Name);
        Assert.Equal(404L, notFound.Attribute("http.response.status_code"));
        Assert.Equal(0, notFound.StatusCode); // a 4xx is not a server error

        var created = await receiver.WaitForSpanAsync(s => s.Name == "POST /api/v1/failover/policies" && Equals(s.Attribute("http.response.status_code"), 201L),
            s_timeout, "POST /api/v1/failover/policies → 201");
        Assert.Equal("/api/v1/failover/policies", created.Attribute("http.route"));

        var failover = await receiver.WaitForSpanAsync(s => s.Name == PatronusActivitySources.FailoverDecisionSpan
            && Equals(s.Attribute(TracingAttributes.PolicyName), "trace-e2e-policy") && Equals(s.Attribute(TracingAttributes.EventType), "triggered"),
            s_timeout, "failover decision (triggered) for trace-e2e-policy");
        Assert.Equal(PatronusActivitySources.FailoverName, failover.ScopeName);
        Assert.Equal(OtlpSpan.KindInternal, failover.Kind);
        Assert.Equal("trace-dead", failover.Attribute(TracingAttributes.FromPath));
        Assert.Equal("demo-wan2-loopback", failover.Attribute(TracingAttributes.ToPath));
        Assert.IsType<long>(failover.Attribute(TracingAttributes.PolicyId));
        Assert.False(string.IsNullOrEmpty(failover.Attribute(TracingAttributes.Reason) as string));
        Assert.Equal("", failover.ParentSpanId); // the failover loop's own trace, not the request's

        var round = await receiver.WaitForSpanAsync(s => s.Name == PatronusActivitySources.ProbeRoundSpan && s.Attribute(TracingAttributes.Sent) is > 0L,
            s_timeout, "probe round that sent probes");
        Assert.Equal(PatronusActivitySources.HealthName, round.ScopeName);
        Assert.True(round.Attribute(TracingAttributes.Paths) is >= 2L, round.ToString());
        Assert.True(round.Attribute(TracingAttributes.TargetsDue) is long due && due >= (long)round.Attribute(TracingAttributes.Sent)!, round.ToString());
        foreach (var key in new[] { TracingAttributes.Replies, TracingAttributes.Lost, TracingAttributes.PathsEvaluated, TracingAttributes.PathsChanged })
        {
            Assert.IsType<long>(round.Attribute(key));
        }

        // Activity sources are process-wide: other tests' servers in this process may send their
        // spans here too, so the operation is found by its unique name and its request by its id.
        var operation = await receiver.WaitForSpanAsync(s => s.Name == "query TracingE2EHealth", s_timeout, "GraphQL operation span");
        Assert.Equal(PatronusActivitySources.GraphQLName, operation.ScopeName);
        Assert.Equal("query", operation.Attribute("graphql.operation.type"));
        Assert.Equal("TracingE2EHealth", operation.Attribute("graphql.operation.name"));
        var post = await receiver.WaitForSpanAsync(s => s.SpanId == operation.ParentSpanId, s_timeout, "the operation's parent span");
        Assert.Equal("POST /graphql", post.Name); // the operation runs inside its request
        Assert.Equal(post.TraceId, operation.TraceId);

        Assert.Empty(receiver.Rejected);
        Assert.DoesNotContain(receiver.Spans, s => s.Name == PatronusActivitySources.ProbeRoundSpan
            && Equals(s.Attribute(TracingAttributes.Sent), 0L) && Equals(s.Attribute(TracingAttributes.Lost), 0L));
    }

    [Fact]
    public async Task Server_Stopping_FlushesSpansStillQueued()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var server = await RunningServer.StartAsync(environment: new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "600000", // no scheduled export: only the shutdown flush sends
            ["PATRONUS__TRACING__PROBEROUNDSAMPLERATIO"] = "0",
        });
        using (var response = await server.Client.GetAsync("/api/v1/paths/flushed-at-stop"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        await server.DisposeAsync();

        await receiver.WaitForSpanAsync(s => Equals(s.Attribute("url.path"), "/api/v1/paths/flushed-at-stop"), TimeSpan.FromSeconds(5), "flushed at stop");
    }

    [Fact]
    public void Server_ProbeRoundRatioOutOfRange_RefusesToStart()
    {
        using var dir = new TempDir();
        var config = PatronusConfiguration.Load(new CommandLineOverrides(DataDir: dir.Path, Urls: "http://127.0.0.1:0"), new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
            ["PATRONUS__TRACING__PROBEROUNDSAMPLERATIO"] = "1.5",
            ["PATRONUS__QUICKSTART__REFLECTORPORT"] = "9",
        }, out var errors);

        // Refused with the other settings, before anything starts (serve exits 2), naming the key.
        Assert.Null(config);
        Assert.Contains(errors, e => e.StartsWith("Tracing:ProbeRoundSampleRatio:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_WithoutOtlpEndpoint_RegistersNoTracerProvider()
    {
        await using var server = await RunningServer.StartAsync(environment: new() { ["OTEL_SERVICE_NAME"] = "ignored-without-endpoint" });

        Assert.Null(server.Services.GetService<TracerProvider>());
    }
}
