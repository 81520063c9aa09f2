using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Patronus.Engine.Paths;
using Patronus.Persistence;
using Patronus.Server.Hosting;

namespace Patronus.Server.Health;

/// <summary>
/// <c>/health</c> (every component, JSON), <c>/health/live</c> (the process answers) and
/// <c>/health/ready</c> (200 only once migrations ran, the topology is loaded, the store answers and
/// every engine loop has run recently and the instance is not stopping (<see cref="ShutdownDrain"/>);
/// 503 naming the failing component otherwise — what a load balancer should route on).
/// These are the only routes that answer without authentication.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Tag of checks that gate readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long the store may take to answer <see cref="StoreProbe"/>'s question before it counts as failing.</summary>
    public static readonly TimeSpan StoreCheckTimeout = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddPatronusHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag])
            .AddCheck<TopologyHealthCheck>("topology", tags: [ReadyTag])
            .AddCheck<EngineLoopsHealthCheck>("engine_loops", tags: [ReadyTag])
            .AddCheck<ShutdownHealthCheck>("shutdown", tags: [ReadyTag]);
        services.AddSingleton<StoreProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreProbe>());
        services.AddSingleton<ReadinessLog>();
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        return services;
    }

    public static IEndpointRouteBuilder MapPatronusHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", Options(_ => true)).AllowAnonymous();
        app.MapHealthChecks("/health/live", Options(_ => false)).AllowAnonymous();
        app.MapHealthChecks("/health/ready", Options(c => c.Tags.Contains(ReadyTag), observeReadiness: true)).AllowAnonymous();
        return app;
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate, bool observeReadiness = false) => new()
    {
        Predicate = predicate,
        ResponseWriter = observeReadiness ? ObserveAndWriteAsync : WriteAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };

    private static Task ObserveAndWriteAsync(HttpContext context, HealthReport report)
    {
        context.RequestServices.GetRequiredService<ReadinessLog>().Observe(report);
        return WriteAsync(context, report);
    }

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var started = context.RequestServices.GetRequiredService<ProcessInfo>().StartedAt;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        // Buffered: Kestrel forbids synchronous writes, and the body is small.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        await using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteString("status", Text(report.Status));
        writer.WriteString("version", ProcessInfo.Version);
        writer.WriteNumber("uptime_seconds", Math.Round((time.GetUtcNow() - started).TotalSeconds, 3));
        writer.WriteString("checked_at", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteStartObject("components");
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", Text(entry.Status));
            // How long the check took: a load balancer gives up on a slow answer (HAProxy's check
            // timeout), and this says which component was slow.
            writer.WriteNumber("duration_ms", Math.Round(entry.Duration.TotalMilliseconds, 1));
            if (entry.Description is not null)
            {
                writer.WriteString("detail", entry.Description);
            }

            foreach (var (key, value) in entry.Data)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Text(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

/// <summary>Process facts shown by <c>/health</c> and <c>patronus version</c>.</summary>
public sealed class ProcessInfo(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>The informational version of the executable (e.g. <c>0.1.0</c>).</summary>
    public static string Version { get; } =
        typeof(ProcessInfo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}

/// <summary>Healthy once the topology (config + stored items) is loaded.</summary>
internal sealed class TopologyHealthCheck(TopologyService topology) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!topology.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("topology not loaded yet"));
        }

        var t = topology.Current;
        return Task.FromResult(HealthCheckResult.Healthy($"{t.Sites.Count} sites, {t.Links.Count} links, {t.Paths.Count} paths",
            new Dictionary<string, object> { ["sites"] = t.Sites.Count, ["links"] = t.Links.Count, ["paths"] = t.Paths.Count }));
    }
}
