using System.Diagnostics;
using Patronus.Engine.Telemetry;

namespace Patronus.Engine.Health;

// The probe round span: one per loop iteration that sent probes or counted some lost. It starts
// when work is due and is dropped at the end if the work turned out to be neither (a stale queue
// entry, or a timeout check whose probe had been answered). Rounds are sampled here, before StartActivity (ProbeRoundSampling says why). The loop
// bumps plain counters in every iteration, cheaper than asking whether anyone wants them; only a
// sampled round turns them into attributes. Without a listener StartProbeRound costs one
// HasListeners check.
public sealed partial class PathHealthMonitor
{
    private RoundCounts _round;
    private double _roundCredit;

    /// <summary>Resets the round's counters and, when tracing listens, probes are due and the round is sampled, starts the round's span.</summary>
    private ProbeRoundScope StartProbeRound(TimeSpan now)
    {
        _round = default;
        if (!PatronusActivitySources.Health.HasListeners() || !_due.TryPeek(out _, out var dueTicks) || dueTicks > now.Ticks ||
            !ProbeRoundSampling.Next(ref _roundCredit, _roundSampling.Ratio))
        {
            return default;
        }

        var activity = PatronusActivitySources.Health.StartActivity(PatronusActivitySources.ProbeRoundSpan, ActivityKind.Internal);
        activity?.SetTag(TracingAttributes.Paths, _paths.Count);
        return new ProbeRoundScope(this, activity);
    }

    private struct RoundCounts
    {
        public int TargetsDue;
        public int Sent;
        public int Replies;
        public int Lost;
        public int PathsEvaluated;
        public int PathsChanged;
    }

    /// <summary>Ends the round's span with its counts; a no-op for an unsampled round.</summary>
    private readonly struct ProbeRoundScope(PathHealthMonitor monitor, Activity? activity) : IDisposable
    {
        public void Dispose()
        {
            if (activity is null)
            {
                return;
            }

            var counts = monitor._round;
            if (counts.Sent == 0 && counts.Lost == 0)
            {
                // Woken for a stale queue entry or a timeout check with nothing pending: not a round.
                // Clearing Recorded after the fact is how a started span is dropped (W3C trace
                // flags; exporters skip unrecorded spans).
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                activity.Dispose();
                return;
            }

            activity.SetTag(TracingAttributes.TargetsDue, counts.TargetsDue);
            activity.SetTag(TracingAttributes.Sent, counts.Sent);
            activity.SetTag(TracingAttributes.Replies, counts.Replies);
            activity.SetTag(TracingAttributes.Lost, counts.Lost);
            activity.SetTag(TracingAttributes.PathsEvaluated, counts.PathsEvaluated);
            activity.SetTag(TracingAttributes.PathsChanged, counts.PathsChanged);
            activity.Dispose();
        }
    }
}
