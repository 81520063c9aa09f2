namespace Patronus.Engine.Health;

/// <summary>Path status from the seed's thresholds: Up ≥ 80, Degraded ≥ 50, Down below.</summary>
public enum PathStatus
{
    Up,
    Degraded,
    Down,
}

/// <summary>One stored health measurement of a path (a row of <c>sdwan_path_health</c>).</summary>
public sealed record PathHealthSample(
    string PathId,
    DateTimeOffset Timestamp,
    double LatencyMs,
    double PacketLossPct,
    double JitterMs,
    double HealthScore,
    PathStatus Status);
