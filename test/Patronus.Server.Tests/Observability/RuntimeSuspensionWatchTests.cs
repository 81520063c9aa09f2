using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Patronus.Server.Observability;

namespace Patronus.Server.Tests.Observability;

public sealed class RuntimeSuspensionWatchTests
{
    private static IMeterFactory NewMeterFactory() =>
        new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    [Fact]
    public void Tracker_BeginSuspendedEnd_DurationFromBeginToRestartWaitToSuspended()
    {
        var tracker = new SuspensionTracker();
        tracker.Begin(1, 1_000_000);
        tracker.Suspended(1_000_000 + TimeSpan.FromMilliseconds(30).Ticks);
        var done = tracker.End(1_000_000 + TimeSpan.FromMilliseconds(120).Ticks);

        Assert.Equal(new RuntimeSuspension(1, TimeSpan.FromMilliseconds(120), TimeSpan.FromMilliseconds(30)), done);
        Assert.Equal(1, tracker.Completed);
    }

    [Fact]
    public void Tracker_EndWithoutBegin_Dropped()
    {
        var tracker = new SuspensionTracker();
        tracker.Suspended(10);
        Assert.Null(tracker.End(20));

        // A second restart after a completed one is not a suspension either.
        tracker.Begin(0, 100);
        Assert.NotNull(tracker.End(200));
        Assert.Null(tracker.End(300));
        Assert.Equal(1, tracker.Completed);
    }

    [Theory]
    [InlineData(1u, "gc")]          // SUSPEND_FOR_GC
    [InlineData(6u, "gc")]          // SUSPEND_FOR_GC_PREP
    [InlineData(0u, "other")]       // SUSPEND_OTHER: tiered compilation's call-counting stubs
    [InlineData(3u, "other")]       // ReJIT / code pitching
    [InlineData(5u, "debugger")]
    [InlineData(7u, "debugger")]    // debugger sweep
    [InlineData(uint.MaxValue, "other")]
    public void ReasonName_ByRuntimeCode(uint code, string expected) =>
        Assert.Equal(expected, new RuntimeSuspension(code, TimeSpan.Zero, TimeSpan.Zero).ReasonName);

    [Fact]
    public void Record_LongerThanWarnAfter_WarningWithReasonDurationAndWait_Counted()
    {
        var logger = new FakeLogger<RuntimeSuspensionWatch>();
        var meters = NewMeterFactory();
        using var durations = new MetricCollector<double>(meters, RuntimeSuspensionWatch.MeterName, "patronus.runtime.suspension.duration");
        using var waits = new MetricCollector<double>(meters, RuntimeSuspensionWatch.MeterName, "patronus.runtime.suspension.wait");
        using var watch = new RuntimeSuspensionWatch(logger, meters);

        watch.Record(new RuntimeSuspension(0, TimeSpan.FromMilliseconds(180.4), TimeSpan.FromMilliseconds(172.5)));

        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 150);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("180.4 ms", warning.Message, StringComparison.Ordinal);
        Assert.Contains("reason other, code 0", warning.Message, StringComparison.Ordinal);
        Assert.Contains("172.5 ms of it waiting", warning.Message, StringComparison.Ordinal);
        var duration = Assert.Single(durations.GetMeasurementSnapshot(), m => m.Tags["reason"] as string == "other" && m.Value > 180);
        Assert.Equal(180.4, duration.Value, 6);
        Assert.Contains(waits.GetMeasurementSnapshot(), m => m.Tags["reason"] as string == "other" && Math.Abs(m.Value - 172.5) < 1e-6);
    }

    [Fact]
    public void Record_AtOrUnderWarnAfter_CountedNotLogged()
    {
        var logger = new FakeLogger<RuntimeSuspensionWatch>();
        var meters = NewMeterFactory();
        using var durations = new MetricCollector<double>(meters, RuntimeSuspensionWatch.MeterName, "patronus.runtime.suspension.duration");
        using var watch = new RuntimeSuspensionWatch(logger, meters);

        watch.Record(new RuntimeSuspension(1, RuntimeSuspensionWatch.WarnAfter, TimeSpan.FromMilliseconds(1)));

        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Id.Id == 150);
        Assert.Contains(durations.GetMeasurementSnapshot(), m => m.Tags["reason"] as string == "gc" && m.Value == 50);
    }

    [Fact]
    public async Task GcCollect_RealRuntime_CountedAsGcSuspension()
    {
        var meters = NewMeterFactory();
        using var durations = new MetricCollector<double>(meters, RuntimeSuspensionWatch.MeterName, "patronus.runtime.suspension.duration");
        using var watch = new RuntimeSuspensionWatch(new FakeLogger<RuntimeSuspensionWatch>(), meters);

        // The runtime's events reach the listener on its dispatch thread shortly after they happen;
        // collect until one blocking collection has come through (bounded in count and time).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 200 && !durations.GetMeasurementSnapshot().Any(m => m.Tags["reason"] as string == "gc"); i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            try
            {
                await durations.WaitForMeasurementsAsync(durations.GetMeasurementSnapshot().Count + 1, TimeSpan.FromMilliseconds(500));
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
            }

            deadline.Token.ThrowIfCancellationRequested();
        }

        var gc = Assert.Single(durations.GetMeasurementSnapshot().Where(m => m.Tags["reason"] as string == "gc").Take(1));
        Assert.InRange(gc.Value, 0, 10_000);
        Assert.True(watch.Count >= 1);
    }
}
