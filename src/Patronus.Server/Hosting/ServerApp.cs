using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Routing.Kernel;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Icmp;
using Patronus.Engine.Probes.Stamp;
using Patronus.Persistence;
using Patronus.Server.Api;
using Patronus.Server.Export;
using Patronus.Server.GraphQL;
using Patronus.Server.Health;
using Patronus.Server.Security;

namespace Patronus.Server.Hosting;

/// <summary>Builds the <c>serve</c> web application from a validated configuration.</summary>
public static class ServerApp
{
    /// <summary>How long graceful shutdown may take before the host gives up on a component.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4);

    public static WebApplication Build(PatronusConfiguration config, TimeProvider? timeProvider = null, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });

        builder.Configuration.AddConfiguration(config.Configuration);
        builder.WebHost.UseUrls(config.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(RequestLimits.ConfigureKestrel);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        services.AddSingleton(timeProvider ?? TimeProvider.System);
        services.AddSingleton(config);
        services.AddSingleton<ProcessInfo>();
        services.AddSingleton<StoreState>();
        services.AddPatronusPersistence(config.Store);
        services.AddSingleton<TopologyService>();
        services.AddSingleton<FailoverPolicyService>();
        services.AddHostedService<StoreInitializer>();

        // Path health: probes (STAMP, ICMP), the monitor loop, history persistence and rollups.
        services.AddSingleton<ProbeMetrics>(sp => new ProbeMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<IProbeSessionFactory, StampProbeSessionFactory>();
        services.AddSingleton<IProbeSessionFactory, IcmpProbeSessionFactory>();
        services.AddSingleton(Options.Create(config.Health));
        services.AddSingleton<HealthState>();
        services.AddOptions<HealthPersistenceOptions>().BindConfiguration(HealthPersistenceOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthPersistenceOptions>, HealthPersistenceOptionsValidator>());
        services.AddSingleton<HealthRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthRecorder>());
        services.AddSingleton<IHealthSink>(sp => sp.GetRequiredService<HealthRecorder>());
        services.AddHostedService<HealthRollupService>();
        services.AddSingleton<PathHealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<PathHealthMonitor>());
        services.AddSingleton<IEngineLoop>(sp => sp.GetRequiredService<PathHealthMonitor>());

        // BFD: one loop for every path's session; path health follows its changes (and failover learns them from path health).
        services.AddSingleton(sp => new BfdMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new BfdService(sp.GetRequiredService<TopologyService>(), sp.GetRequiredService<BfdMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BfdService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<BfdService>());
        services.AddSingleton<IPathLivenessSource>(sp => sp.GetRequiredService<BfdService>());
        services.AddSingleton<IEngineLoop>(sp => sp.GetRequiredService<BfdService>());

        // Failover: policies, the decision loop, its events and the kernel routes it installs.
        services.AddSingleton(Options.Create(config.Failover ?? new FailoverOptions()));
        services.AddSingleton(sp => new FailoverMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<FailoverEventRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<FailoverEventRecorder>()); // registered first: stops last, after the last event
        if (config.Failover is not { KernelRoutes: false })
        {
            var routing = config.Failover ?? new FailoverOptions();
            services.AddSingleton(new KernelRouteApplier(unchecked((int)(uint)routing.RouteTable), unchecked((int)(uint)routing.RouteMetric)));
        }
        services.AddSingleton(sp => new FailoverService(sp.GetRequiredService<FailoverPolicyService>(), sp.GetRequiredService<TopologyService>(),
            sp.GetRequiredService<HealthState>(), sp.GetRequiredService<FailoverEventRecorder>(), sp.GetRequiredService<FailoverMetrics>(),
            sp.GetRequiredService<IOptions<FailoverOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FailoverService>>(),
            sp.GetService<KernelRouteApplier>()));
        services.AddHostedService(sp => sp.GetRequiredService<FailoverService>());
        services.AddSingleton<IEngineLoop>(sp => sp.GetRequiredService<FailoverService>());
        services.AddPatronusTraffic(config);
        services.AddSingleton<ReflectorService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReflectorService>());
        services.AddPatronusHealth();
        services.AddPatronusExport();
        services.AddPatronusGraphQL();
        Observability.TracingServiceCollectionExtensions.AddPatronusTracing(services, config);
        services.AddProblemDetails();
        services.Configure<ExceptionHandlerOptions>(RequestLimits.ConfigureExceptionHandler);
        services.AddPatronusSecurity(config.Configuration);
        services.AddPatronusOpenApi();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = ApiJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
        });

        var app = builder.Build();
        app.Services.StartPatronusExport();
        var httpMetrics = app.Services.GetRequiredService<HttpMetrics>();
        app.Use(httpMetrics.InvokeAsync);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) }); // GraphQL subscriptions
        app.UsePatronusSecurity();
        app.MapPatronusHealth();
        app.MapPatronusMetrics();
        app.MapPatronusApi();
        app.MapPatronusGraphQL();
        return app;
    }
}
