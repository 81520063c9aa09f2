using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;
using Patronus.Prometheus;
using Patronus.Server.Api;

namespace Patronus.Server.Export;

/// <summary>
/// Metrics over HTTP: the Prometheus text format at <c>/metrics</c> (for scrapers; anonymous
/// unless <c>Metrics:Token</c> is set) and <c>/api/v1/metrics/export</c> (the seed's route, part of
/// the API), and the seed's JSON export at <c>/api/v1/metrics/export/json</c>.
/// </summary>
public static class MetricsEndpoints
{
    /// <summary>Default span of failover events in the JSON export without <c>since</c>.</summary>
    public static readonly TimeSpan DefaultFailoverSpan = TimeSpan.FromHours(24);

    /// <summary>Most failover events in one JSON export.</summary>
    public const int ExportEventLimit = 1_000;

    public static IEndpointRouteBuilder MapPatronusMetrics(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/metrics", ScrapeAsync).AllowAnonymous();
        return app;
    }

    internal static RouteGroupBuilder MapMetricsExport(this RouteGroupBuilder api)
    {
        api.MapGet("/metrics/export", (HttpContext context, PrometheusExporter exporter) => WriteScrapeAsync(context, exporter));
        api.MapGet("/metrics/export/json", ExportJsonAsync);
        api.MapGet("/metrics/traffic", (ITrafficSource traffic, TopologyService topology, TimeProvider time) =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(4 * 1024);
            using (var json = new Utf8JsonWriter(buffer))
            {
                WriteTraffic(json, traffic, topology.Current, time.GetUtcNow());
            }

            return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json; charset=utf-8");
        });
        return api;
    }

    private static Task ScrapeAsync(HttpContext context, PrometheusExporter exporter, IOptions<MetricsOptions> options, AuthMetrics auth)
    {
        if (options.Value.Token is { Length: > 0 } token)
        {
            var presented = context.Request.Headers.Authorization.ToString();
            if (!presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                auth.Failed("missing_token");
                return Unauthorized(context, "this endpoint requires a bearer token (Metrics:Token)");
            }

            // Constant time: the comparison must not tell how much of a guess was right.
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented[7..].Trim()), Encoding.UTF8.GetBytes(token)))
            {
                auth.Failed("invalid_token");
                return Unauthorized(context, "the bearer token is not the configured Metrics:Token");
            }
        }

        return WriteScrapeAsync(context, exporter);
    }

    private static Task Unauthorized(HttpContext context, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"patronus-metrics\"";
        return Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized", detail).ExecuteAsync(context);
    }

    private static async Task WriteScrapeAsync(HttpContext context, PrometheusExporter exporter)
    {
        using var scrape = exporter.RenderPooled();
        context.Response.ContentType = PrometheusTextWriter.ContentType;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = scrape.Bytes.Length;
        await context.Response.Body.WriteAsync(scrape.Bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<IResult> ExportJsonAsync(HttpContext context, HealthState health, TopologyService topology, FailoverPolicyService policies,
        FailoverService failover, ITrafficSource traffic, IFailoverStore store, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var since = now - DefaultFailoverSpan;
        if (context.Request.Query["since"].FirstOrDefault() is { } s &&
            !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            return Problems.Invalid("since", $"'{s}' is not an ISO-8601 time");
        }

        var events = await store.GetFailoverEventsAsync(null, since, ExportEventLimit, ct).ConfigureAwait(false);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteExport(json, health.All, topology.Current, policies.Current, failover.Status, events, traffic.Current, traffic.Unavailable, now);
        }

        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json; charset=utf-8");
    }

    /// <summary>The seed's export document. Numbers are finite (a non-finite value is written as null), times UTC ISO-8601.</summary>
    internal static void WriteExport(Utf8JsonWriter json, IReadOnlyList<PathHealthSnapshot> paths, TopologySnapshot topology,
        IReadOnlyList<FailoverPolicy> policies, IReadOnlyDictionary<long, FailoverPolicyStatus> statuses, IReadOnlyList<FailoverEventRecord> events,
        TrafficSnapshot traffic, string? trafficUnavailable, DateTimeOffset now)
    {
        json.WriteStartObject();
        json.WriteStartArray("paths");
        foreach (var h in paths)
        {
            json.WriteStartObject();
            json.WriteString("path_id", h.PathId);
            json.WriteString("site", topology.PathsById.TryGetValue(h.PathId, out var p) ? topology.SiteOf(p) : null);
            json.WriteStartObject("health");
            Number(json, "latency_ms", h.LatencyMs);
            Number(json, "packet_loss_pct", h.PacketLossPct);
            Number(json, "jitter_ms", h.JitterMs);
            Number(json, "health_score", h.HealthScore);
            json.WriteString("status", PathHealthEndpoints.StatusText(h.Status));
            if (h.LastChecked is { } checkedAt)
            {
                json.WriteString("last_checked", PathHealthEndpoints.Iso(checkedAt));
            }
            else
            {
                json.WriteNull("last_checked");
            }

            json.WriteEndObject();
            traffic.Paths.TryGetValue(h.PathId, out var pathTraffic);
            json.WriteStartObject("traffic");
            Counter(json, "bytes_total", pathTraffic?.Bytes);
            Counter(json, "packets_total", pathTraffic?.Packets);
            Counter(json, "active_flows", pathTraffic?.ActiveFlows);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("policies");
        foreach (var policy in policies)
        {
            statuses.TryGetValue(policy.Id, out var status);
            json.WriteStartObject();
            json.WriteNumber("policy_id", policy.Id);
            json.WriteString("name", policy.Name);
            json.WriteBoolean("enabled", policy.Enabled);
            json.WriteString("active_path_id", status?.ActivePathId ?? policy.PrimaryPathId);
            traffic.Policies.TryGetValue(policy.Id, out var policyTraffic);
            Counter(json, "bytes_matched", policyTraffic?.Bytes);
            Counter(json, "packets_matched", policyTraffic?.Packets);
            Counter(json, "active_flows", policyTraffic?.ActiveFlows);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("failovers");
        foreach (var e in events)
        {
            JsonSerializer.Serialize(json, FailoverEndpoints.Event(e));
        }

        json.WriteEndArray();
        WriteAccounting(json, traffic, trafficUnavailable);
        json.WriteString("exported_at", PathHealthEndpoints.Iso(now));
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>/api/v1/metrics/traffic</c>: per path and policy what the kernel counted (docs/traffic.md).
    /// Null counts, with the reason, where nothing was counted — never a made-up 0.
    /// </summary>
    internal static void WriteTraffic(Utf8JsonWriter json, ITrafficSource source, TopologySnapshot topology, DateTimeOffset now)
    {
        var traffic = source.Current;
        json.WriteStartObject();
        WriteAccounting(json, traffic, source.Unavailable);
        json.WriteStartArray("paths");
        foreach (var path in topology.Paths)
        {
            traffic.Paths.TryGetValue(path.Id, out var t);
            json.WriteStartObject();
            json.WriteString("path_id", path.Id);
            json.WriteString("link_id", path.LinkId);
            Counter(json, "bytes_total", t?.Bytes);
            Counter(json, "packets_total", t?.Packets);
            Counter(json, "active_flows", t?.ActiveFlows);
            json.WriteString("match", t?.Match);
            json.WriteStartArray("shared_with");
            foreach (var other in t?.SharedWith ?? [])
            {
                json.WriteStringValue(other);
            }

            json.WriteEndArray();
            json.WriteString("unavailable", t?.Unavailable ?? (t is null ? source.Unavailable ?? "not read yet" : null));
            json.WriteString("flows_unavailable", t?.FlowsUnavailable);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("policies");
        foreach (var p in traffic.Policies.Values.OrderBy(p => p.PolicyId))
        {
            json.WriteStartObject();
            json.WriteNumber("policy_id", p.PolicyId);
            json.WriteString("name", p.Name);
            json.WriteNumber("bytes_matched", p.Bytes);
            json.WriteNumber("packets_matched", p.Packets);
            Counter(json, "active_flows", p.ActiveFlows);
            json.WriteString("flows_unavailable", p.FlowsUnavailable);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("exported_at", PathHealthEndpoints.Iso(now));
        json.WriteEndObject();
    }

    private static void WriteAccounting(Utf8JsonWriter json, TrafficSnapshot traffic, string? unavailable)
    {
        json.WriteStartObject("traffic_accounting");
        json.WriteBoolean("available", unavailable is null && traffic.ReadAt is not null);
        json.WriteString("reason", unavailable ?? (traffic.ReadAt is null ? "counters not read yet" : null));
        if (traffic.ReadAt is { } readAt)
        {
            json.WriteString("read_at", PathHealthEndpoints.Iso(readAt));
        }
        else
        {
            json.WriteNull("read_at");
        }

        json.WriteEndObject();
    }

    private static void Counter(Utf8JsonWriter json, string name, ulong? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Counter(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, Math.Round(value, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
