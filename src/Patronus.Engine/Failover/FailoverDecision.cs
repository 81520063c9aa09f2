using System.Globalization;
using System.Text;
using Patronus.Engine.Loops;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Failover;

/// <summary>
/// The failover decision for one policy as a pure function of its state, the paths' health and the
/// time. It reads no clock and keeps nothing (times are compared on the monotonic
/// <see cref="LoopTime.Elapsed"/>; <see cref="LoopTime.Wall"/> only stamps the event): the failover loop owns the state, calls
/// <see cref="Decide"/> on every health change and at <see cref="FailoverOutcome.WakeAt"/>, applies
/// routes for a changed active path, and records the event.
/// <para>
/// A path is <em>acceptable</em> when it is measured, its score is at least the failover threshold
/// and its BFD session is not Down. The primary is <em>failback-healthy</em> when it is acceptable
/// and its score is at least the failback threshold.
/// </para>
/// <para>
/// Hysteresis, four layers of it: (1) traffic leaves the active path only when it is unacceptable,
/// never because another path scores higher, so two backups of similar quality do not trade places;
/// (2) it returns to the primary only above the failback threshold, which is normally higher than
/// the failover threshold, so a primary hovering around the failover threshold does not pull
/// traffic back; (3) the primary must stay failback-healthy for the whole failback delay, and any
/// dip restarts the clock; (4) a failback that would make more than
/// <see cref="FailoverDampening.MaxSwitches"/> switches within the dampening window is held for the
/// hold time (flap dampening). Moving off an unacceptable path is never delayed or held: holding
/// traffic on a dead path is worse than a flap.
/// </para>
/// </summary>
public static class FailoverDecision
{
    /// <summary>
    /// Decides what <paramref name="policy"/> does now. Total: never throws for any values (unknown or
    /// missing path ids, empty backups, NaN scores or thresholds, extreme delays), only for null arguments.
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <param name="state">The policy's current state (see <see cref="FailoverPolicyState.Initial"/>).</param>
    /// <param name="paths">What is known about the paths, by path id. A path missing here counts as not measured.</param>
    /// <param name="now">The time of the evaluation, on both clocks.</param>
    /// <param name="dampening">Flap dampening settings.</param>
    /// <param name="sla">
    /// For a policy with a <see cref="FailoverPolicy.Class"/>: its class's SLA. A path is then
    /// acceptable when it meets the SLA (<see cref="TrafficSla.IsMetBy"/>) instead of the score
    /// threshold, and the primary is failback-healthy when it meets it too (the failback delay,
    /// not a second threshold, is the hysteresis). Null: the score thresholds.
    /// </param>
    public static FailoverOutcome Decide(
        FailoverPolicy policy,
        FailoverPolicyState state,
        IReadOnlyDictionary<string, FailoverPathInput> paths,
        LoopTime now,
        FailoverDampening dampening,
        TrafficSla? sla = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(dampening);

        // A disabled policy steers to the primary and decides nothing; the engine itself emits
        // PolicyEnabled/PolicyDisabled.
        if (!policy.Enabled)
        {
            var onPrimary = string.Equals(state.ActivePathId, policy.PrimaryPathId, StringComparison.Ordinal);
            return new(onPrimary ? state : state with { ActivePathId = policy.PrimaryPathId }, null, null);
        }

        // Never act on no data: at startup nothing is measured yet, and a BFD session starts Down
        // until its handshake completes, so "BFD down" without a probe result is not evidence.
        var active = Find(paths, state.ActivePathId);
        if (active is null)
        {
            return new(state, null, null);
        }

        var switches = Prune(state.RecentSwitches ?? [], now.Elapsed, dampening.Window);
        var heldUntil = state.HeldUntil is { } held && now.Elapsed < held ? held : (TimeSpan?)null;
        var current = state with { RecentSwitches = switches, HeldUntil = heldUntil };

        var judge = new Judge(policy, sla);
        var outcome = !judge.Acceptable(active.Value)
            ? FailAway(policy, judge, current, paths, active.Value, now)
            : string.Equals(state.ActivePathId, policy.PrimaryPathId, StringComparison.Ordinal)
                ? new(current with { PrimaryHealthySince = null, FailureReported = false }, null, null)
                : OnAcceptableBackup(policy, judge, current with { FailureReported = false }, paths, now, dampening);

        // Hand back the caller's own instance when nothing changed, so that the loop can tell cheaply.
        return outcome.State == state ? outcome with { State = state } : outcome;
    }

    /// <summary>
    /// The active path is unacceptable: move to the best acceptable other path of the policy (highest
    /// score, ties to the earlier in configured order: primary, then backups), even if that is the
    /// primary before its failback delay (a dead backup is worse than an unproven primary). This is
    /// never held by dampening, but it is counted. With no acceptable path, stay (moving to another
    /// bad path would only churn routes) and report FailoverFailed once per outage.
    /// </summary>
    private static FailoverOutcome FailAway(
        FailoverPolicy policy,
        Judge judge,
        FailoverPolicyState current,
        IReadOnlyDictionary<string, FailoverPathInput> paths,
        FailoverPathInput active,
        LoopTime now)
    {
        var activeId = current.ActivePathId;
        var cause = judge.Unacceptable(activeId, active);
        var candidates = Candidates(policy, activeId);
        string? best = null;
        var bestScore = 0.0;
        foreach (var id in candidates)
        {
            // Strictly greater: on a tie the earlier one in configured order stays chosen.
            if (Find(paths, id) is { } input && judge.Acceptable(input) && (best is null || input.Score > bestScore))
            {
                best = id;
                bestScore = input.Score;
            }
        }

        var onPrimary = string.Equals(activeId, policy.PrimaryPathId, StringComparison.Ordinal);
        var primaryHealthySince = onPrimary ? null : TrackPrimary(judge, current.PrimaryHealthySince, Find(paths, policy.PrimaryPathId), now.Elapsed);
        if (best is null)
        {
            var failed = current with { PrimaryHealthySince = primaryHealthySince, FailureReported = true };
            var failedEvent = current.FailureReported
                ? null
                : new FailoverEvent(policy.Id, FailoverEventType.FailoverFailed, activeId, null, NoCandidateReason(judge, paths, cause, candidates), now.Wall);
            return new(failed, failedEvent, null);
        }

        var toPrimary = string.Equals(best, policy.PrimaryPathId, StringComparison.Ordinal);
        var next = current with
        {
            ActivePathId = best,
            PrimaryHealthySince = toPrimary ? null : primaryHealthySince,
            RecentSwitches = Append(current.RecentSwitches, now.Elapsed),
            FailureReported = false,
        };
        var reason = toPrimary
            ? string.Create(CultureInfo.InvariantCulture, $"{cause}; moved to primary {best} (score {bestScore}), the best acceptable path, before its failback delay")
            : string.Create(CultureInfo.InvariantCulture, $"{cause}; switched to {best} (score {bestScore})");
        var wakeAt = toPrimary ? null : FailbackDue(policy, next);
        return new(next, new FailoverEvent(policy.Id, FailoverEventType.FailoverTriggered, activeId, best, reason, now.Wall), wakeAt);
    }

    /// <summary>
    /// A backup is active and acceptable: it stays until the primary has been failback-healthy for
    /// the whole failback delay (a dip restarts the clock), then traffic fails back, unless flap
    /// dampening holds failbacks. Another backup scoring higher is no reason to move.
    /// </summary>
    private static FailoverOutcome OnAcceptableBackup(
        FailoverPolicy policy,
        Judge judge,
        FailoverPolicyState current,
        IReadOnlyDictionary<string, FailoverPathInput> paths,
        LoopTime now,
        FailoverDampening dampening)
    {
        var primaryId = policy.PrimaryPathId;
        var primary = Find(paths, primaryId);
        current = current with { PrimaryHealthySince = TrackPrimary(judge, current.PrimaryHealthySince, primary, now.Elapsed) };
        if (primary is not { } p || current.PrimaryHealthySince is not { } since || FailbackDue(policy, current) is not { } due)
        {
            return new(current, null, null);
        }

        // Not yet due, or due but suspended by an earlier dampening (the due time includes the hold).
        if (now.Elapsed < due)
        {
            return new(current, null, due);
        }

        var count = current.RecentSwitches.Count + 1;
        if (dampening.HoldTime > TimeSpan.Zero && count > dampening.MaxSwitches)
        {
            var until = LoopTime.Add(now.Elapsed, dampening.HoldTime);
            var reason = string.Create(
                CultureInfo.InvariantCulture,
                $"failback to primary {primaryId} held for {dampening.HoldTime.TotalSeconds} s: it would be switch {count} within {dampening.Window.TotalSeconds} s (at most {dampening.MaxSwitches})");
            var dampened = new FailoverEvent(policy.Id, FailoverEventType.FlapDampened, current.ActivePathId, primaryId, reason, now.Wall);
            return new(current with { HeldUntil = until }, dampened, until);
        }

        var completed = judge.Sla is null
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"primary {primaryId} score {p.Score} ≥ failback threshold {policy.FailbackThreshold} for {LoopTime.Between(since, now.Elapsed).TotalSeconds} s")
            : string.Create(
                CultureInfo.InvariantCulture,
                $"primary {primaryId} met class {policy.Class}'s SLA for {LoopTime.Between(since, now.Elapsed).TotalSeconds} s");
        var next = current with
        {
            ActivePathId = primaryId,
            PrimaryHealthySince = null,
            RecentSwitches = Append(current.RecentSwitches, now.Elapsed),
        };
        return new(next, new FailoverEvent(policy.Id, FailoverEventType.FailbackCompleted, current.ActivePathId, primaryId, completed, now.Wall), null);
    }

    /// <summary>Since when the primary has been failback-healthy: kept while it is, set to <paramref name="now"/> when it becomes so, null on any dip.</summary>
    private static TimeSpan? TrackPrimary(Judge judge, TimeSpan? since, FailoverPathInput? primary, TimeSpan now) =>
        primary is { } p && judge.FailbackHealthy(p) ? since ?? now : null;

    /// <summary>
    /// When the failback may happen: the primary healthy since + the failback delay (negative counts
    /// as zero), or the end of a flap hold if later; null when the primary is not failback-healthy.
    /// </summary>
    private static TimeSpan? FailbackDue(FailoverPolicy policy, FailoverPolicyState state)
    {
        if (state.PrimaryHealthySince is not { } since)
        {
            return null;
        }

        var due = LoopTime.Add(since, policy.FailbackDelay < TimeSpan.Zero ? TimeSpan.Zero : policy.FailbackDelay);
        return state.HeldUntil is { } held && held > due ? held : due;
    }

    /// <summary>Measured, score at least the failover threshold (NaN never is), and BFD not Down.</summary>
    private static bool IsAcceptable(FailoverPathInput path, double failoverThreshold) =>
        path.Measured && path.Score >= failoverThreshold && path.BfdDown != true;

    /// <summary>
    /// Acceptable and at least the failback threshold. Requiring acceptable too means a failback
    /// threshold configured below the failover threshold cannot fail back onto a path that would be
    /// failed away from at once.
    /// </summary>
    private static bool IsFailbackHealthy(FailoverPathInput path, FailoverPolicy policy) =>
        IsAcceptable(path, policy.FailoverThreshold) && path.Score >= policy.FailbackThreshold;

    /// <summary>The measured input for a path, or null when the id is null, unknown or not measured.</summary>
    private static FailoverPathInput? Find(IReadOnlyDictionary<string, FailoverPathInput> paths, string? id) =>
        id is not null && paths.TryGetValue(id, out var input) && input.Measured ? input : null;

    /// <summary>The policy's paths other than the active one, in configured order (primary, then backups), without duplicates.</summary>
    private static List<string> Candidates(FailoverPolicy policy, string activeId)
    {
        var backups = policy.BackupPathIds ?? [];
        var candidates = new List<string>(backups.Count + 1);
        foreach (var id in backups.Prepend(policy.PrimaryPathId))
        {
            if (id is not null && !string.Equals(id, activeId, StringComparison.Ordinal) && !candidates.Contains(id, StringComparer.Ordinal))
            {
                candidates.Add(id);
            }
        }

        return candidates;
    }

    /// <summary>Why a path is not acceptable, with the numbers.</summary>
    private static string Unacceptable(string id, FailoverPathInput? path, double failoverThreshold) => path switch
    {
        null or { Measured: false } => $"path {id} not measured",
        { BfdDown: true } => $"path {id} BFD down",
        { Score: var s } when double.IsNaN(s) => $"path {id} score is not a number",
        { Score: var s } => string.Create(CultureInfo.InvariantCulture, $"path {id} score {s} < failover threshold {failoverThreshold}"),
    };

    private static string NoCandidateReason(
        Judge judge,
        IReadOnlyDictionary<string, FailoverPathInput> paths,
        string cause,
        List<string> candidates)
    {
        if (candidates.Count == 0)
        {
            return $"{cause}; no other path configured";
        }

        var reason = new StringBuilder(cause).Append("; no acceptable path: ");
        for (var i = 0; i < candidates.Count; i++)
        {
            reason.Append(i == 0 ? "" : ", ").Append(judge.Unacceptable(candidates[i], Find(paths, candidates[i])));
        }

        return reason.ToString();
    }

    /// <summary>The switches still within the window: those at most <paramref name="window"/> old. The same list when none aged out.</summary>
    private static IReadOnlyList<TimeSpan> Prune(IReadOnlyList<TimeSpan> switches, TimeSpan now, TimeSpan window)
    {
        var kept = 0;
        foreach (var at in switches)
        {
            kept += InWindow(at, now, window) ? 1 : 0;
        }

        if (kept == switches.Count)
        {
            return switches;
        }

        var result = new TimeSpan[kept];
        var i = 0;
        foreach (var at in switches)
        {
            if (InWindow(at, now, window))
            {
                result[i++] = at;
            }
        }

        return result;
    }

    // A zero or negative window holds nothing. Times are monotonic: a switch is never from the future.
    private static bool InWindow(TimeSpan at, TimeSpan now, TimeSpan window) =>
        window > TimeSpan.Zero && now <= LoopTime.Add(at, window);

    private static TimeSpan[] Append(IReadOnlyList<TimeSpan> switches, TimeSpan now)
    {
        var result = new TimeSpan[switches.Count + 1];
        for (var i = 0; i < switches.Count; i++)
        {
            result[i] = switches[i];
        }

        result[^1] = now;
        return result;
    }

    /// <summary>
    /// What makes a path acceptable to one policy: the score thresholds, or its class's SLA.
    /// </summary>
    private readonly record struct Judge(FailoverPolicy Policy, TrafficSla? Sla)
    {
        public bool Acceptable(FailoverPathInput path) => Sla is { } sla
            ? sla.IsMetBy(path.Measured, path.BfdDown, path.LatencyMs, path.LossPercent, path.JitterMs)
            : IsAcceptable(path, Policy.FailoverThreshold);

        /// <summary>With an SLA, meeting it is enough: the failback delay is the hysteresis.</summary>
        public bool FailbackHealthy(FailoverPathInput path) => Sla is null ? IsFailbackHealthy(path, Policy) : Acceptable(path);

        public string Unacceptable(string id, FailoverPathInput? path) => Sla is { } sla && path is { } p
            ? sla.Why(id, Policy.Class ?? "", p.Measured, p.BfdDown, p.LatencyMs, p.LossPercent, p.JitterMs)
            : FailoverDecision.Unacceptable(id, path, Policy.FailoverThreshold);
    }
}
