using System.Globalization;

namespace Patronus.Engine.Health;

/// <summary>What the monitor knows about one target when it evaluates the path.</summary>
/// <param name="Measurement">The target's window measurement; null before any probe completed.</param>
/// <param name="Reachable">Answered within the window and not confirmed down.</param>
public readonly record struct TargetView(WindowMeasurement? Measurement, bool Reachable);

/// <summary>
/// Turns per-target measurements into the path's health, with a k-of-n quorum.
/// Rule: score every target with the path's thresholds and rank them best first (unreachable
/// targets last); the path takes the measurements and score of its k-th best target. So with the
/// default k = 1 the best target speaks for the path and one flaky target out of several cannot
/// fail it; with k = n the worst target does. When fewer than k targets are reachable the path is
/// Down with score 0 — "not enough of the far end answers" is a failure whatever the numbers of
/// the targets that do answer say.
/// </summary>
public static class PathEvaluation
{
    /// <summary>
    /// Answered probes a target's window must hold before its jitter counts in the score: with
    /// fewer, one cold-start round trip (ARP resolution, a socket's first send) is the whole
    /// jitter and would fail a healthy path at startup. Jitter is still reported.
    /// </summary>
    public const int MinJitterSamples = 5;

    private static double ScoredJitter(WindowMeasurement m) => m.Answered >= MinJitterSamples ? m.JitterMs : 0;

    public static PathHealthSnapshot Evaluate(string pathId, IReadOnlyList<TargetView> targets, int quorum, HealthThresholds thresholds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(thresholds);
        quorum = Math.Clamp(quorum, 1, Math.Max(1, targets.Count));

        var measured = 0;
        var up = 0;
        Span<(double Score, int Index)> ranked = targets.Count <= 32 ? stackalloc (double, int)[targets.Count] : new (double, int)[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            if (t.Measurement is { } m)
            {
                measured++;
                var score = HealthScoring.Score(m.LatencyMs, m.LossPct, ScoredJitter(m), thresholds);
                // Unreachable targets rank below every reachable one.
                ranked[i] = (t.Reachable ? score : score - 1000, i);
            }
            else
            {
                ranked[i] = (double.NegativeInfinity, i);
            }

            if (t.Reachable)
            {
                up++;
            }
        }

        if (measured == 0)
        {
            return PathHealthSnapshot.Unknown(pathId, targets.Count, quorum);
        }

        ranked.Sort((a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Index.CompareTo(b.Index));
        var decider = targets[ranked[quorum - 1].Index].Measurement
            ?? targets[ranked[0].Index].Measurement!.Value; // the k-th best has never completed a probe: fall back to the best one's numbers
        var pathScore = HealthScoring.Score(decider.LatencyMs, decider.LossPct, ScoredJitter(decider), thresholds);
        string reason;
        if (up < quorum)
        {
            pathScore = 0;
            reason = string.Create(CultureInfo.InvariantCulture, $"quorum not met: {up} of {targets.Count} targets answering, {quorum} needed");
        }
        else
        {
            reason = Explain(decider, thresholds);
        }

        var status = up < quorum ? PathStatus.Down : HealthScoring.StatusOf(pathScore);
        return new PathHealthSnapshot(pathId, decider.LatencyMs, decider.LossPct, decider.JitterMs, pathScore, status, now,
            up, targets.Count, quorum, reason);
    }

    /// <summary>Names the thresholds a measurement exceeds, e.g. "loss 12.5 % > 5 %; latency 210.3 ms > 150 ms".</summary>
    public static string Explain(WindowMeasurement m, HealthThresholds t)
    {
        ArgumentNullException.ThrowIfNull(t);

        // The common case allocates nothing: it runs for every path after every probe round.
        if (m.LatencyMs <= t.LatencyMs && m.LossPct <= t.LossPct && ScoredJitter(m) <= t.JitterMs)
        {
            return "within thresholds";
        }

        var parts = new List<string>(3);
        if (m.LatencyMs > t.LatencyMs)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"latency {m.LatencyMs:0.0} ms > {t.LatencyMs} ms"));
        }

        if (m.LossPct > t.LossPct)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"loss {m.LossPct:0.0} % > {t.LossPct} %"));
        }

        if (ScoredJitter(m) > t.JitterMs)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"jitter {m.JitterMs:0.0} ms > {t.JitterMs} ms"));
        }

        return parts.Count == 0 ? "within thresholds" : string.Join("; ", parts);
    }
}
