using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Patronus.Engine.Telemetry;
using Patronus.Server.Health;
using Patronus.Server.Hosting;

namespace Patronus.Server.Observability;

/// <summary>Registers OpenTelemetry tracing over OTLP when an exporter endpoint is configured.</summary>
public static class TracingServiceCollectionExtensions
{
    /// <summary>
    /// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) set:
    /// a tracer provider with <see cref="AddPatronusInstrumentation"/>, exporting in batches over
    /// OTLP (http/protobuf unless <c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>), flushed at shutdown
    /// (<see cref="TracingHostedService"/>). Without it nothing is registered and no source has a
    /// listener: the engine's spans and ASP.NET Core's request activity are never built.
    /// </summary>
    public static IServiceCollection AddPatronusTracing(this IServiceCollection services, PatronusConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        var environment = TracingEnvironment.Read(config.Configuration, ProcessInfo.Version, Guid.NewGuid().ToString());
        if (!environment.Enabled)
        {
            if (environment.Problems.Count > 0)
            {
                services.AddHostedService(sp => new TracingHostedService(sp.GetRequiredService<ILogger<TracingHostedService>>(), environment, null, null,
                    sp.GetRequiredService<IHostApplicationLifetime>()));
            }

            return services;
        }

        services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TracingOptions>, TracingOptionsValidator>());
        services.AddHostedService(sp => new TracingHostedService(sp.GetRequiredService<ILogger<TracingHostedService>>(), environment,
            sp.GetRequiredService<IOptions<TracingOptions>>().Value, sp.GetRequiredService<TracerProvider>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        services.TryAddSingleton(sp => new ProbeRoundSampling(sp.GetRequiredService<IOptions<TracingOptions>>().Value.ProbeRoundSampleRatio));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.Clear().AddTelemetrySdk().AddAttributes(environment.Resource))
            .WithTracing(tracing => tracing
                .AddPatronusInstrumentation()
                .SetSampler(TracingSampler.FromEnvironment(environment.Sampler, environment.SamplerRatio))
                .AddOtlpExporter(o =>
                {
                    // Endpoint, headers, timeout and batching come from the OTEL_* variables (the SDK
                    // reads them from configuration); the protocol defaults to http/protobuf here,
                    // not the SDK's grpc, since a plain HTTP port is what collectors expose most.
                    o.Protocol = environment.Protocol == OtlpWireProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                }));
        return services;
    }

    /// <summary>
    /// What is traced (docs/tracing.md, "Spans"): incoming requests by OpenTelemetry's ASP.NET Core
    /// instrumentation (named <c>{method} {route}</c>, HTTP semantic-convention attributes, Error for
    /// 5xx only), outgoing HttpClient calls, PostgreSQL commands (Npgsql's own source), and the
    /// engine's and GraphQL's sources.
    /// </summary>
    internal static TracerProviderBuilder AddPatronusInstrumentation(this TracerProviderBuilder tracing) => tracing
        .AddAspNetCoreInstrumentation()
        .AddHttpClientInstrumentation()
        .AddNpgsql()
        .AddSource([.. PatronusActivitySources.All]);
}
