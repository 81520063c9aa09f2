using OpenTelemetry.Trace;

namespace Patronus.Server.Observability;

/// <summary>
/// Says once at startup where traces go and which variables were ignored, and bounds the final
/// flush: once every other service has stopped (so the last spans are queued) the provider is shut
/// down with <see cref="ShutdownFlushTimeout"/>, instead of the SDK's 5 s wait at disposal when the
/// collector does not answer (measured: 5.0 s against a socket that accepts and never replies).
/// </summary>
internal sealed partial class TracingHostedService(ILogger<TracingHostedService> logger, TracingEnvironment environment,
    TracingOptions? options, TracerProvider? provider, IHostApplicationLifetime lifetime) : IHostedService
{
    /// <summary>How long shutdown waits for the last batch to reach the collector: 2 s, half the host's own stop budget.</summary>
    public static readonly TimeSpan ShutdownFlushTimeout = TimeSpan.FromSeconds(2);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in environment.Problems)
        {
            LogIgnored(logger, problem);
        }

        if (options is not null && provider is not null)
        {
            LogExporting(logger, environment.Endpoint ?? "(default)", environment.Protocol == OtlpWireProtocol.Grpc ? "grpc" : "http/protobuf",
                environment.Sampler, environment.SamplerRatio, options.ProbeRoundSampleRatio);
            lifetime.ApplicationStopped.Register(() => provider.Shutdown((int)ShutdownFlushTimeout.TotalMilliseconds));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // EventIds 120–129: tracing.
    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Tracing: exporting spans to {Endpoint} over OTLP {Protocol}; sampler {Sampler} (ratio {Ratio}), probe rounds {ProbeRoundRatio}")]
    private static partial void LogExporting(ILogger logger, string endpoint, string protocol, string sampler, double ratio, double probeRoundRatio);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "Tracing: {Problem}")]
    private static partial void LogIgnored(ILogger logger, string problem);
}
