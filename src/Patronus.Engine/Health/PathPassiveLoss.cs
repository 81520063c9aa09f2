using System.Globalization;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Health;

/// <summary>
/// A path's loss measured passively from the real traffic it carries (the tunnel's Patronus data
/// messages arriving through the path's link, pooled over its peers), as the health monitor
/// weighs it next to the probes' loss (<see cref="PassiveLossRule"/>).
/// </summary>
/// <param name="LossPct">Expected but not received, in percent of expected, 0–100.</param>
/// <param name="Expected">Messages the senders' sequence numbers say were sent in the span measured.</param>
/// <param name="Received">Distinct messages that arrived in it.</param>
public readonly record struct PathPassiveLoss(double LossPct, long Expected, long Received);

/// <summary>Which measurement a path's <see cref="PathHealthSnapshot.PacketLossPct"/> (and so its score) comes from.</summary>
public enum LossSource
{
    /// <summary>The active probes' window (also when there is no passive measurement, or too little of it).</summary>
    Active,

    /// <summary>The tunnel's traffic on the path: enough of it, and it lost more than the probes did.</summary>
    Passive,
}

/// <summary>Where the monitor gets <see cref="PathPassiveLoss"/> from (the tunnels' passive feed).</summary>
public interface IPathPassiveSource
{
    /// <summary>The path's current passive loss, or null when no measured traffic came through it.</summary>
    PathPassiveLoss? Passive(string pathId);

    /// <summary>Notified after every publish that changed any path's measurement.</summary>
    ChangeSignal Changed { get; }
}

/// <summary>The pure rule weighing the passive loss against the probes' loss.</summary>
public static class PassiveLossRule
{
    /// <summary>
    /// The path's loss is the worse of the probes' loss and the passive loss, the passive one counted
    /// only when it covers at least <paramref name="minPackets"/> expected messages; the score is the
    /// probes' score with the loss term of the seed's formula recomputed for that loss (latency and
    /// jitter terms unchanged), and the status follows the score.
    /// Why the worse and not a blend: the two do not sample one quantity. The probes measure a small
    /// packet's round trip every 500 ms; the passive count measures every message of the traffic the
    /// users send. When they disagree, something on the path treats the two differently (a policer,
    /// a DSCP queue, an MTU black hole, loss in one direction at a high rate) and the traffic is
    /// what matters; a blend weighted by sample counts would mostly follow the traffic anyway and, with
    /// little traffic, hide its loss behind 30 clean probes. Why the minimum: the count's noise, so
    /// that a path does not flap on a few packets (see <see cref="HealthOptions.PassiveMinPackets"/>).
    /// No hysteresis of its own: failover's thresholds and failback delay hold a path that recovers.
    /// A path not yet probed stays unknown (failover acts on measured paths only); a path whose
    /// quorum is not met stays Down with score 0. The input rides along in
    /// <see cref="PathHealthSnapshot.Passive"/>, the probes' own loss in
    /// <see cref="PathHealthSnapshot.ActiveLossPct"/> and the choice in <see cref="PathHealthSnapshot.LossSource"/>.
    /// </summary>
    public static PathHealthSnapshot Apply(PathHealthSnapshot probes, PathPassiveLoss? passive, HealthThresholds thresholds, int minPackets)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(thresholds);
        if (probes.LastChecked is null)
        {
            return probes;
        }

        var judged = probes.Passive == passive ? probes : probes with { Passive = passive };
        if (passive is not { } p || p.Expected < minPackets || !double.IsFinite(p.LossPct) || p.LossPct <= probes.PacketLossPct)
        {
            return judged;
        }

        var loss = Math.Clamp(p.LossPct, 0, 100);
        var quorumMet = probes.TargetsUp >= probes.Quorum;
        var penalty = HealthScoring.LossPenalty(loss, thresholds) - HealthScoring.LossPenalty(probes.PacketLossPct, thresholds);

        // The seed's score is 100 minus the three terms, clamped at 0: a higher loss term lowers it
        // by the difference (a score already clamped at 0 stays 0).
        var score = quorumMet ? Math.Max(0, probes.HealthScore - penalty) : probes.HealthScore;
        var status = quorumMet ? HealthScoring.StatusOf(score) : probes.Status;
        var reason = quorumMet && loss > thresholds.LossPct
            ? string.Create(CultureInfo.InvariantCulture, $"passive loss {loss:0.0} % > {thresholds.LossPct} % ({p.Received} of {p.Expected} tunnel messages arrived); probes: {probes.Reason}")
            : probes.Reason;
        return judged with
        {
            PacketLossPct = loss,
            ActiveLossPct = probes.PacketLossPct,
            LossSource = LossSource.Passive,
            HealthScore = score,
            Status = status,
            Reason = reason,
        };
    }
}
