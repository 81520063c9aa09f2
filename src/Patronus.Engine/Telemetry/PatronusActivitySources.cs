using System.Diagnostics;
using Patronus.Engine.Failover;

namespace Patronus.Engine.Telemetry;

/// <summary>
/// The engine's trace sources and the names of their spans and attributes. The engine only uses
/// <see cref="ActivitySource"/>: with nothing listening (no exporter configured) a
/// <c>StartActivity</c> returns null after one check, and no span is built. The server subscribes
/// to every name in <see cref="All"/> when tracing is on (docs/tracing.md).
/// </summary>
public static class PatronusActivitySources
{
    /// <summary>Failover decisions: one span per event a policy emits.</summary>
    public const string FailoverName = "Patronus.Failover";

    /// <summary>Path health: one span per monitor iteration that sent probes or counted losses, sampled by <see cref="ProbeRoundSampling"/>.</summary>
    public const string HealthName = "Patronus.Health";

    /// <summary>
    /// Reserved for the GraphQL engine (one span per operation: parse, validate, execute). Nothing
    /// emits it yet; the name is fixed here so the server already subscribes to it.
    /// </summary>
    public const string GraphQLName = "Patronus.GraphQL";

    /// <summary>
    /// Reserved for packet forwarding (tunnel setup and per-flow events, never per packet). Nothing
    /// emits it yet; the name is fixed here so the server already subscribes to it.
    /// </summary>
    public const string ForwardingName = "Patronus.Forwarding";

    /// <summary>Span name of a failover decision.</summary>
    public const string FailoverDecisionSpan = "failover decision";

    /// <summary>Span name of a probe round.</summary>
    public const string ProbeRoundSpan = "probe round";

    /// <summary>Every source name the engine emits or reserves.</summary>
    public static IReadOnlyList<string> All { get; } = [FailoverName, HealthName, GraphQLName, ForwardingName];

    // No scope version: the engine ships inside the executable, whose version is the resource's service.version.
    internal static ActivitySource Failover { get; } = new(FailoverName);

    internal static ActivitySource Health { get; } = new(HealthName);

    /// <summary>Starts the span of one failover event (null when nobody listens or the sampler drops it); dispose it when the event is handed on.</summary>
    internal static Activity? StartFailoverDecision(FailoverEvent e, string policyName)
    {
        if (!Failover.HasListeners())
        {
            return null;
        }

        // Tags go in at creation so that a sampler sees them.
        var tags = new ActivityTagsCollection
        {
            [TracingAttributes.PolicyId] = e.PolicyId,
            [TracingAttributes.PolicyName] = policyName,
            [TracingAttributes.EventType] = FailoverEventNames.Name(e.Type),
        };
        if (e.FromPathId is not null)
        {
            tags[TracingAttributes.FromPath] = e.FromPathId;
        }

        if (e.ToPathId is not null)
        {
            tags[TracingAttributes.ToPath] = e.ToPathId;
        }

        tags[TracingAttributes.Reason] = e.Reason;
        var activity = Failover.StartActivity(FailoverDecisionSpan, ActivityKind.Internal, default(ActivityContext), tags);
        if (activity is not null && e.Type is FailoverEventType.FailoverFailed or FailoverEventType.RouteApplyFailed)
        {
            // Nothing could carry the traffic, or the kernel refused a route: an error in a trace view.
            activity.SetStatus(ActivityStatusCode.Error, e.Reason);
        }

        return activity;
    }
}

/// <summary>
/// Which probe rounds get a span. The decision is the engine's, before <c>StartActivity</c>: an
/// OpenTelemetry sampler that drops a root span still builds a propagation-only activity (measured
/// 0.3–0.56 µs and 648 B per call here, docs/tracing.md), where this check costs ~3 ns. Deterministic:
/// a credit grows by <see cref="Ratio"/> per iteration with probes due and the iteration is traced
/// whenever it reaches 1, so 0.01 traces exactly every 100th and 0.3 three in ten.
/// </summary>
public sealed class ProbeRoundSampling
{
    /// <summary>One round in a hundred.</summary>
    public const double DefaultRatio = 0.01;

    /// <summary>The default, used when nothing is registered.</summary>
    public static ProbeRoundSampling Default { get; } = new(DefaultRatio);

    public ProbeRoundSampling(double ratio)
    {
        if (double.IsNaN(ratio) || ratio is < 0.0 or > 1.0)
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "a ratio between 0 and 1");
        }

        Ratio = ratio;
    }

    /// <summary>Fraction of probe rounds traced, 0–1.</summary>
    public double Ratio { get; }

    /// <summary>The decision for the next round; <paramref name="credit"/> is the caller's state, starting at 0.</summary>
    public static bool Next(ref double credit, double ratio)
    {
        credit += ratio;
        if (credit < 1.0 - 1e-9)
        {
            return false;
        }

        credit = Math.Max(0.0, credit - 1.0);
        return true;
    }
}

/// <summary>Attribute names of the engine's spans (<c>patronus.*</c>: nothing in the semantic conventions fits).</summary>
public static class TracingAttributes
{
    /// <summary>Failover decision: the policy's id (int).</summary>
    public const string PolicyId = "patronus.failover.policy_id";

    /// <summary>Failover decision: the policy's name.</summary>
    public const string PolicyName = "patronus.failover.policy_name";

    /// <summary>Failover decision: the event type as the API names it (<c>triggered</c>, <c>failback</c>, <c>failed</c>, <c>dampened</c>, <c>enabled</c>, <c>disabled</c>, <c>route_failed</c>).</summary>
    public const string EventType = "patronus.failover.event";

    /// <summary>Failover decision: the path traffic leaves (absent when none).</summary>
    public const string FromPath = "patronus.failover.from_path";

    /// <summary>Failover decision: the path traffic goes to (absent when none).</summary>
    public const string ToPath = "patronus.failover.to_path";

    /// <summary>Failover decision: the reason with the numbers behind it, as in the event log.</summary>
    public const string Reason = "patronus.failover.reason";

    /// <summary>Probe round: paths monitored (int).</summary>
    public const string Paths = "patronus.probe.paths";

    /// <summary>Probe round: targets whose send or timeout was due (int).</summary>
    public const string TargetsDue = "patronus.probe.targets_due";

    /// <summary>Probe round: probes handed to a socket (int).</summary>
    public const string Sent = "patronus.probe.sent";

    /// <summary>Probe round: replies matched to a pending probe (int).</summary>
    public const string Replies = "patronus.probe.replies";

    /// <summary>Probe round: probes whose timeout passed unanswered (int).</summary>
    public const string Lost = "patronus.probe.lost";

    /// <summary>Probe round: paths evaluated because something about them changed (int).</summary>
    public const string PathsEvaluated = "patronus.probe.paths_evaluated";

    /// <summary>Probe round: paths whose published health snapshot changed (int).</summary>
    public const string PathsChanged = "patronus.probe.paths_changed";
}
