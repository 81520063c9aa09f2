using System.Diagnostics.Tracing;

namespace Patronus.Bench.Probes;

/// <summary>
/// Which types the process allocates, without a profiler: the runtime's GCAllocationTick event
/// fires about every 100 KB allocated and names the type of the allocation that crossed the mark,
/// so counts per type are proportional to bytes allocated per type.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public bool Enabled { get; set; }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!Enabled || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var at = eventData.PayloadNames.IndexOf("TypeName");
        var type = at >= 0 ? eventData.Payload?[at] as string ?? "?" : "?";
        lock (_gate)
        {
            _ticks[type] = _ticks.GetValueOrDefault(type) + 1;
        }
    }

    public List<KeyValuePair<string, long>> Top(int count)
    {
        lock (_gate)
        {
            return [.. _ticks.OrderByDescending(kv => kv.Value).Take(count)];
        }
    }
}
