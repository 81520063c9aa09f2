namespace Patronus.Engine.Health;

/// <summary>
/// The current health of one path: immutable, replaced as a whole by the monitor loop and read
/// by anyone without locks.
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="LatencyMs">Mean RTT over the window of the target that decides the path (see <see cref="PathEvaluation"/>).</param>
/// <param name="PacketLossPct">Loss over that window, 0–100.</param>
/// <param name="JitterMs">Mean absolute RTT difference of consecutive answered probes.</param>
/// <param name="HealthScore">The seed's score, 0–100.</param>
/// <param name="Status">Up ≥ 80, Degraded ≥ 50, Down.</param>
/// <param name="LastChecked">When the measurements last changed; null before the first probe completed.</param>
/// <param name="TargetsUp">Targets currently answering.</param>
/// <param name="TargetCount">Targets of the path.</param>
/// <param name="Quorum">Targets that must answer.</param>
/// <param name="Reason">Why the status is what it is, in words (e.g. "loss 100.0 % > 5 %").</param>
public sealed record PathHealthSnapshot(
    string PathId,
    double LatencyMs,
    double PacketLossPct,
    double JitterMs,
    double HealthScore,
    PathStatus Status,
    DateTimeOffset? LastChecked,
    int TargetsUp,
    int TargetCount,
    int Quorum,
    string Reason)
{
    /// <summary>
    /// The path's second opinion (its BFD session) when it was judged, or null when there is none
    /// (no session, AdminDown, not yet Up). The score and status above already include it.
    /// </summary>
    public PathLiveness? Liveness { get; init; }

    /// <summary>
    /// The path's passive loss from the tunnel's traffic when it was judged, or null when none came
    /// through it (<see cref="PassiveLossRule"/>); shown whether or not it drove the loss.
    /// </summary>
    public PathPassiveLoss? Passive { get; init; }

    /// <summary>Which measurement <see cref="PacketLossPct"/> is: the probes' (default) or the passive one.</summary>
    public LossSource LossSource { get; init; }

    /// <summary>The probes' own loss: <see cref="PacketLossPct"/> unless <see cref="LossSource"/> is passive.</summary>
    public double ActiveLossPct
    {
        get => _activeLossPct ?? PacketLossPct;
        init => _activeLossPct = value;
    }

    private readonly double? _activeLossPct;

    /// <summary>The state before any probe completed: Down, with nothing measured.</summary>
    public static PathHealthSnapshot Unknown(string pathId, int targets, int quorum) =>
        new(pathId, 0, 0, 0, 0, PathStatus.Down, null, 0, targets, quorum, "no probe has completed yet");

    public PathHealthSample ToSample(DateTimeOffset at) =>
        new(PathId, at, LatencyMs, PacketLossPct, JitterMs, HealthScore, Status);
}
