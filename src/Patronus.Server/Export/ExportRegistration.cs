using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Patronus.Engine.Loops;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>Registers the exporters and the instruments only the server has (HTTP, auth, WebSocket).</summary>
public static class ExportRegistration
{
    public static IServiceCollection AddPatronusExport(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HttpMetrics>();
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<WebSocketMetrics>();
        services.AddSingleton<ExportMetrics>();
        services.AddSingleton<Observability.RuntimeSuspensionWatch>();

        // Only this host's meters (the factory is the meters' scope: two servers in one test
        // process must not report each other's requests), and only ours: ASP.NET Core's and
        // Kestrel's meters repeat what patronus_http_* says with labels (ports, protocol versions)
        // that multiply series without helping an operator.
        services.AddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IMeterFactory>();
            return new MeterCollector(i => ReferenceEquals(i.Meter.Scope, factory) && i.Meter.Name.StartsWith("Patronus.", StringComparison.Ordinal));
        });
        services.AddSingleton(sp => new PrometheusExporter(
        [
            sp.GetRequiredService<MeterCollector>(),
            new EngineMetricsProducer(sp.GetRequiredService<Engine.Health.HealthState>(), sp.GetRequiredService<Engine.Paths.TopologyService>(),
                sp.GetRequiredService<Engine.Failover.FailoverService>(), sp.GetServices<IEngineLoop>(), sp.GetRequiredService<Health.ProcessInfo>(),
                sp.GetRequiredService<TimeProvider>()),
            new TrafficMetricsProducer(sp.GetRequiredService<Engine.Traffic.ITrafficSource>()),
            new TunnelMetricsProducer(sp.GetRequiredService<Engine.Tunnels.TunnelService>(), sp.GetRequiredService<Engine.Tunnels.Sdwan.TrafficClassifier>()),
            new ProcessMetricsProducer(),
        ], sp.GetRequiredService<ExportMetrics>()));
        return services;
    }

    /// <summary>Starts listening before any instrument records (call right after the app is built).</summary>
    public static void StartPatronusExport(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // The exporter itself (which reads the engine services) is built by the first scrape:
        // resolving the engine here would move its start-up validation from StartAsync to Build.
        services.GetRequiredService<MeterCollector>();
        services.GetRequiredService<Health.ProcessInfo>();

        // Instruments exist (and show in scrapes) from the start, not from their first use.
        services.GetRequiredService<WebSocketMetrics>();
        services.GetRequiredService<AuthMetrics>();
        services.GetRequiredService<ExportMetrics>();
        services.GetRequiredService<Engine.Cluster.ClusterMetrics>();

        // Watching runtime suspensions from the start: a freeze in the first minute (tiered
        // compilation's busiest time) is logged and counted like any later one.
        services.GetRequiredService<Observability.RuntimeSuspensionWatch>();
        _ = services.GetRequiredService<IOptions<MetricsOptions>>().Value;
    }
}
