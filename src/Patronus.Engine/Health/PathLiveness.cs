using System.Globalization;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Health;

/// <summary>
/// A second, faster opinion on whether a path works, besides the probes: the path's BFD session
/// (seed 003: BFD Up 100, Init 50, Down 0). The monitor caps the probe score with it.
/// </summary>
/// <param name="ScoreCap">Highest score the path may have: 100 (no limit), 50 (at best Degraded), 0 (Down).</param>
/// <param name="Detail">What it is, in words: "BFD down (control_detection_time_expired)".</param>
public readonly record struct PathLiveness(double ScoreCap, string Detail)
{
    /// <summary>The opinion is "the path does not forward" (cap 0): failover's "BFD down".</summary>
    public bool Down => ScoreCap <= 0;
}

/// <summary>Where the monitor gets <see cref="PathLiveness"/> from (the BFD service).</summary>
public interface IPathLivenessSource
{
    /// <summary>The current opinion on a path, or null when there is none (no session, or administratively down).</summary>
    PathLiveness? Liveness(string pathId);

    /// <summary>Notified at every change of any opinion.</summary>
    ChangeSignal Changed { get; }
}

/// <summary>The pure rule combining probes and liveness.</summary>
public static class PathLivenessRule
{
    /// <summary>
    /// The path's score is the lower of the probe score and the cap, and its status follows the
    /// score: a BFD Down makes the path Down at once, before any probe has timed out (BFD detects in
    /// its detection time, probes in about a second); BFD Init holds it at Degraded at best; BFD Up
    /// leaves the probes to judge quality. A path not yet probed stays unknown. The opinion rides
    /// along in <see cref="PathHealthSnapshot.Liveness"/>, so failover learns what BFD says from the
    /// path's health, in the same snapshot as the score it capped.
    /// </summary>
    public static PathHealthSnapshot Apply(PathHealthSnapshot probes, PathLiveness? liveness)
    {
        ArgumentNullException.ThrowIfNull(probes);
        // Not yet probed: nothing to cap, and no measurement is invented (failover acts on measured paths only).
        if (probes.LastChecked is null)
        {
            return probes;
        }

        var judged = probes.Liveness == liveness ? probes : probes with { Liveness = liveness };
        if (liveness is not { } l || probes.HealthScore <= l.ScoreCap)
        {
            return judged;
        }

        var score = Math.Min(probes.HealthScore, l.ScoreCap);
        var status = l.Down ? PathStatus.Down : HealthScoring.StatusOf(score);
        var reason = string.Create(CultureInfo.InvariantCulture, $"{l.Detail}; probes: {probes.Reason}");
        return judged with { HealthScore = score, Status = status, Reason = reason };
    }
}
