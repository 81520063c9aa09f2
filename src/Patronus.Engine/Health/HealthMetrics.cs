using System.Diagnostics.Metrics;

namespace Patronus.Engine.Health;

/// <summary>
/// Path health instruments (meter <c>Patronus.Health</c>): status changes by <c>from</c> and
/// <c>to</c> (up, degraded, down; <c>from="none"</c> for a path's first measurement). Without the
/// per-path label, so the series count stays at a dozen at any number of paths; the path's own
/// transitions are in the history (<c>sdwan_path_events</c>) and the log.
/// </summary>
public sealed class HealthMetrics : IDisposable
{
    public const string MeterName = "Patronus.Health";

    private readonly Meter _meter;
    private readonly Counter<long> _statusChanges;

    public HealthMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _statusChanges = _meter.CreateCounter<long>("patronus.health.status_changes", "{change}",
            "Path status changes; from=\"none\" is a path's first measurement");
    }

    /// <summary>A path went from <paramref name="from"/> (null: its first measurement) to <paramref name="to"/>.</summary>
    public void StatusChanged(PathStatus? from, PathStatus to) =>
        _statusChanges.Add(1, new KeyValuePair<string, object?>("from", from is { } f ? Name(f) : "none"),
            new KeyValuePair<string, object?>("to", Name(to)));

    private static string Name(PathStatus status) => status switch
    {
        PathStatus.Up => "up",
        PathStatus.Degraded => "degraded",
        _ => "down",
    };

    /// <summary>The meter (tests collect from it).</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();
}
