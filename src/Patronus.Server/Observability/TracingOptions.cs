using System.ComponentModel.DataAnnotations;

namespace Patronus.Server.Observability;

/// <summary>
/// Patronus's own tracing settings (section <c>Tracing</c>). Where to export, the service name and
/// the resource come from the standard <c>OTEL_*</c> environment variables (docs/tracing.md).
/// </summary>
public sealed class TracingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Tracing";

    /// <summary>
    /// Fraction of probe rounds (monitor iterations that sent probes or counted losses) traced,
    /// 0–1. Default 0.01: every 100th iteration with work due is traced, and dropped if it turned
    /// out empty. At 10,000 paths that is a span about every 10 s (docs/tracing.md). The engine
    /// decides before it starts a span, so an untraced round costs a few nanoseconds;
    /// <c>OTEL_TRACES_SAMPLER</c> then applies to the rounds kept, as to every span. 0 turns probe
    /// round spans off, 1 traces every round.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ProbeRoundSampleRatio { get; set; } = Engine.Telemetry.ProbeRoundSampling.DefaultRatio;
}

/// <summary>Checks <see cref="TracingOptions"/> (its ranges), naming each key; run at start and by <c>serve</c>'s config check.</summary>
public sealed class TracingOptionsValidator() : Engine.Hosting.OptionsSectionValidator<TracingOptions>(TracingOptions.Section);
