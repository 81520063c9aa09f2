using OpenTelemetry.Trace;

namespace Patronus.Server.Observability;

/// <summary>
/// The sampler <c>OTEL_TRACES_SAMPLER</c>/<c>OTEL_TRACES_SAMPLER_ARG</c> name (validated by
/// <see cref="TracingEnvironment"/>), applied to every span: HTTP requests, failover decisions
/// and the probe rounds the engine already thinned out (<see cref="Engine.Telemetry.ProbeRoundSampling"/>).
/// </summary>
public static class TracingSampler
{
    public static Sampler FromEnvironment(string name, double ratio) => name switch
    {
        "always_on" => new AlwaysOnSampler(),
        "always_off" => new AlwaysOffSampler(),
        "traceidratio" => new TraceIdRatioBasedSampler(ratio),
        "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
        "parentbased_traceidratio" => new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)),
        _ => new ParentBasedSampler(new AlwaysOnSampler()),
    };
}
