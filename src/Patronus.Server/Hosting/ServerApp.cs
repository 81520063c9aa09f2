using Microsoft.Extensions.Logging.Console;
using Patronus.Engine.Hosting;
using Patronus.Persistence;
using Patronus.Server.Api;
using Patronus.Server.Commands;
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

    /// <summary>The framework's health check service: its per-poll error lines are filtered out (see Health/ReadinessLog).</summary>
    public const string HealthCheckServiceCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    /// <summary>Console lines queued before a new one is dropped instead of blocking its writer.</summary>
    public const int ConsoleQueueLength = 20_000;

    /// <summary>The console logger drops on a full queue rather than block the thread that logs.</summary>
    public static void ConfigureConsoleQueue(ConsoleLoggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        options.MaxQueueLength = ConsoleQueueLength;
    }

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
        // No thread of serve ever waits for the console: by default its logger blocks the caller
        // once 2,500 lines are queued, and a burst (10,000 paths measured at once, a storm of status
        // changes) then stalled the health monitor's loop until its probes expired — which logged
        // more changes (issue 14: 5,000+ false Downs at 10,000 paths when stdout drained slowly).
        // A full queue drops the line; the console logger then writes how many it dropped.
        builder.Services.Configure<ConsoleLoggerOptions>(ConfigureConsoleQueue);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // One error line per failing check per poll (HAProxy polls every 500 ms): Health/ReadinessLog logs the changes instead.
        builder.Logging.AddFilter(HealthCheckServiceCategory, LogLevel.None);
        logging?.Invoke(builder.Logging);

        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider); // before the engine's and the store's TryAdd of the system clock
        }

        services.AddSingleton(config);
        services.AddSingleton<ProcessInfo>();
        services.AddSingleton<StoreState>();
        services.AddPatronusPersistence(config.Store);
        services.AddHostedService<StoreInitializer>(); // brings the store up (migrations, configured topology); added first, so it starts first
        ClusterSetup.AddPatronusCluster(services, config); // before the engine: the lease outlives the features that write under it
        services.AddPatronusEngine(config.Configuration);
        services.AddPatronusCommands();
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
        services.AddPatronusIdempotency();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = ApiJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
        });

        var app = builder.Build();
        app.Services.StartPatronusExport();
        var httpMetrics = app.Services.GetRequiredService<HttpMetrics>();
        app.Use(httpMetrics.InvokeAsync);
        var drain = app.Services.GetRequiredService<Health.ShutdownDrain>();
        app.Use((context, next) =>
        {
            drain.RequestStarted(context.Request.Path); // a graceful stop drains while requests still arrive
            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.UseMiddleware<Dashboard.DashboardFiles>(); // before authentication: the app's files are anonymous
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) }); // GraphQL subscriptions
        app.UsePatronusSecurity();
        app.UseIdempotency();
        app.MapPatronusHealth();
        app.MapPatronusMetrics();
        app.MapPatronusApi();
        app.MapPatronusGraphQL();
        return app;
    }
}
