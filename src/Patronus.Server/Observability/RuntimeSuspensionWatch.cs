using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace Patronus.Server.Observability;

/// <summary>
/// Watches the runtime's suspensions of managed code — every garbage collection, and the pauses
/// the runtime takes for itself (tiered compilation installing or removing call counters, a
/// debugger) — and makes each one visible: a histogram of how long managed threads stood still,
/// by reason (meter <c>Patronus.Runtime</c>, exported as
/// <c>patronus_runtime_suspension_duration_seconds</c>), the part of it spent waiting for threads
/// to reach a safe point (<c>patronus_runtime_suspension_wait_seconds_total</c>), and a warning
/// (EventId 150) for every suspension longer than <see cref="WarnAfter"/>.
/// </summary>
/// <remarks>
/// Why: while the runtime is suspended no managed thread runs — the BFD loop included — so a
/// suspension longer than a session's Detection Time (150 ms at 50 ms × 3) takes sessions Down on
/// the peer though the link is fine. A network engineer who sees a burst of BFD Downs can tell
/// from this log line or family whether the process froze, for how long and why.
/// <para>
/// How: an in-process <see cref="EventListener"/> on the runtime's provider
/// (<c>Microsoft-Windows-DotNETRuntime</c>), GC keyword at Informational — the level that carries
/// GCSuspendEEBegin_V1 (with the reason), GCSuspendEEEnd_V1 and GCRestartEEEnd_V1, plus a few
/// events per collection that are ignored. Events arrive on the runtime's dispatch thread some
/// milliseconds after they happen, stamped with the time they happened, so durations are exact.
/// Cost: the allocations <see cref="EventListener"/> makes per event (the event arguments and its
/// boxed payload), ~10 events per collection; nothing on any other thread.
/// </para>
/// <para>
/// One listener per process, created with the first watch and never disposed; each watch (one per
/// host) subscribes to it and unsubscribes when disposed. Disposing an <see cref="EventListener"/>
/// on the runtime's provider while another one is being disposed or its session dispatches
/// deadlocked the runtime's EventPipe dispatcher (two test hosts stopping at once hung a full test
/// run: both threads in <c>EventPipeEventDispatcher.SendCommand</c>), so the process never does it.
/// </para>
/// </remarks>
internal sealed partial class RuntimeSuspensionWatch : IDisposable
{
    public const string MeterName = "Patronus.Runtime";

    /// <summary>
    /// A suspension longer than this is logged as a warning: a third of the shortest BFD Detection
    /// Time this product is measured at (50 ms × 3 = 150 ms), long enough that a healthy process
    /// (gen0 pauses of 1–10 ms here) never logs it.
    /// </summary>
    public static readonly TimeSpan WarnAfter = TimeSpan.FromMilliseconds(50);

    private static readonly Lock s_subscribersGate = new();
    private static volatile RuntimeSuspensionWatch[] s_subscribers = [];
    private static ProcessListener? s_listener;

    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<double> _wait;
    private long _count;

    public RuntimeSuspensionWatch(ILogger<RuntimeSuspensionWatch> logger, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _logger = logger;
        _meter = meterFactory.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("patronus.runtime.suspension.duration", "ms",
            "Time managed threads stood still in one runtime suspension, by reason (gc: a garbage collection; other: the runtime's own, e.g. tiered compilation; debugger)");
        _wait = _meter.CreateCounter<double>("patronus.runtime.suspension.wait", "ms",
            "Part of the suspensions spent waiting for every managed thread to reach a safe point, by reason");
        lock (s_subscribersGate)
        {
            s_subscribers = [.. s_subscribers, this];
            // Created after the first subscriber exists, outside of any other listener's dispose.
            s_listener ??= new ProcessListener();
        }
    }

    /// <summary>Suspensions recorded by this watch since it started (all reasons); for tests and diagnostics.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts one suspension and warns when it was long (internal: tests feed it directly).</summary>
    internal void Record(RuntimeSuspension suspension)
    {
        Interlocked.Increment(ref _count);
        var reason = new KeyValuePair<string, object?>("reason", suspension.ReasonName);
        _duration.Record(suspension.Duration.TotalMilliseconds, reason);
        _wait.Add(suspension.Wait.TotalMilliseconds, reason);
        if (suspension.Duration > WarnAfter)
        {
            LogLongSuspension(_logger, suspension.Duration.TotalMilliseconds, suspension.ReasonName, suspension.Reason, suspension.Wait.TotalMilliseconds);
        }
    }

    public void Dispose()
    {
        lock (s_subscribersGate)
        {
            s_subscribers = [.. s_subscribers.Where(w => !ReferenceEquals(w, this))];
        }

        _meter.Dispose();
    }

    /// <summary>The process's one listener on the runtime provider: pairs the events and hands each suspension to every subscribed watch.</summary>
    private sealed class ProcessListener : EventListener
    {
        private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
        private const EventKeywords GcKeyword = (EventKeywords)0x1;

        // Event ids of the runtime's GC events (ClrEtwAll.man).
        private const int RestartEEEnd = 3;
        private const int SuspendEEEnd = 8;
        private const int SuspendEEBegin = 9;

        // Owned by the runtime's dispatch thread (events of one session arrive on one thread in order).
        private SuspensionTracker _tracker;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            // Also called from the base constructor, before this class's fields are set: nothing
            // here uses them.
            if (eventSource.Name == RuntimeProvider)
            {
                EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            switch (eventData.EventId)
            {
                case SuspendEEBegin:
                    var reason = eventData.Payload is [var first, ..] && first is uint code ? code : uint.MaxValue;
                    _tracker.Begin(reason, eventData.TimeStamp.Ticks);
                    break;
                case SuspendEEEnd:
                    _tracker.Suspended(eventData.TimeStamp.Ticks);
                    break;
                case RestartEEEnd:
                    if (_tracker.End(eventData.TimeStamp.Ticks) is { } suspension)
                    {
                        foreach (var watch in s_subscribers)
                        {
                            watch.Record(suspension);
                        }
                    }

                    break;
            }
        }
    }
}
