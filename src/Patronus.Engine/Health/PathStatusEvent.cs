namespace Patronus.Engine.Health;

/// <summary>
/// A path's status changed (a row of <c>sdwan_path_events</c>), stored with the measurements
/// that caused the change so an incident can be explained after the raw samples have expired.
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="Timestamp">When the new status was measured.</param>
/// <param name="From">The status before; null for the path's first measurement.</param>
/// <param name="To">The new status.</param>
/// <param name="HealthScore">Score of the measurement that caused the change, 0–100.</param>
/// <param name="LatencyMs">Latency of that measurement.</param>
/// <param name="PacketLossPct">Loss of that measurement, 0–100.</param>
/// <param name="JitterMs">Jitter of that measurement.</param>
/// <param name="Reason">Why, in words (e.g. "loss 100.0 % > 5 %").</param>
public sealed record PathStatusEvent(
    string PathId,
    DateTimeOffset Timestamp,
    PathStatus? From,
    PathStatus To,
    double HealthScore,
    double LatencyMs,
    double PacketLossPct,
    double JitterMs,
    string Reason);
