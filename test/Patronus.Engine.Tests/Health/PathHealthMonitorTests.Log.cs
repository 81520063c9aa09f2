using Microsoft.Extensions.Logging.Testing;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed partial class PathHealthMonitorTests
{
    [Theory]
    [InlineData(2, 2, 0)]   // a few changes: a line per path, as before
    [InlineData(PathHealthMonitor.TransitionLinesPerPass, PathHealthMonitor.TransitionLinesPerPass, 0)]
    [InlineData(30, 0, 1)]  // more than the per-pass limit measured at once: one summary line
    public void FirstMeasurements_ManyAtOnce_OneSummaryLineInsteadOfALinePerPath(int paths, int perPathLines, int summaryLines)
    {
        var logger = new FakeLogger<PathHealthMonitor>();
        var monitor = CreateMonitor(logger);
        monitor.ApplyTopologyForTest(Topology([.. Enumerable.Range(0, paths).Select(i => Path($"p{i:00}"))]));

        // Every path's first probe goes out (the sends are spread over the interval), and the
        // replies wait in the "kernel" until they are all taken in one pass, as a loop that had no
        // CPU for a moment takes them.
        for (var i = 0; i < 6; i++)
        {
            monitor.Iterate();
            _clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        _net.Deliver();
        monitor.Iterate();

        var records = logger.Collector.GetSnapshot();
        Assert.Equal(perPathLines, records.Count(r => r.Id.Id == 301));
        var summaries = records.Where(r => r.Id.Id == 305).ToList();
        Assert.Equal(summaryLines, summaries.Count);
        if (summaryLines == 1)
        {
            // Five of the paths (in the order they were evaluated), then an ellipsis.
            Assert.Matches($@"^{paths} paths \(first measurement\) → Up at once \(e\.g\. (p\d\d, ){{5}}…; the first: within thresholds\)$", summaries[0].Message);
        }

        // Every path's change still reaches the sink (events, history) one by one.
        Assert.Equal(paths, _sink.Transitions.Count);
    }
}
