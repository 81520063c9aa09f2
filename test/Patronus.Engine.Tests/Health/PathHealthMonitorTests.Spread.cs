using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed partial class PathHealthMonitorTests
{
    [Theory]
    [InlineData(500)]        // the default interval
    [InlineData(1_000)]      // issue 14's bar 1: 10,000 paths at 1 probe/s
    [InlineData(3_600_000)]  // the longest allowed: an hour of ticks times 2^32 would overflow 64 bits
    public void FirstSendOffset_ManyPaths_SpreadEvenlyOverTheWholeInterval(int intervalMs)
    {
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        var quarters = new int[4];
        for (var i = 0; i < 10_000; i++)
        {
            var offset = PathHealthMonitor.FirstSendOffset($"p{i:D5}", interval);
            Assert.InRange(offset, TimeSpan.Zero, interval - TimeSpan.FromTicks(1));
            quarters[(int)(offset.Ticks * 4 / interval.Ticks)]++;
        }

        // Each quarter of the interval gets about a quarter of the first probes (it got all of
        // them when the spread covered only the first quarter: 40,000 probes/s in bursts, issue 14).
        Assert.All(quarters, n => Assert.InRange(n, 2_200, 2_800));
    }

    [Fact]
    public void FirstProbes_ManyPaths_SentOverTheWholeInterval()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology([.. Enumerable.Range(0, 400).Select(i => Path($"p{i:000}"))]));

        // Half the interval (500 ms by default) on: about half the paths have sent their first probe.
        Run(monitor, _options.Interval / 2);
        Assert.InRange(_net.Sent("10.240.0.1:862"), 150, 250);
        // By the end of the interval (and a step of the loop), every path has.
        Run(monitor, (_options.Interval / 2) + s_step);
        Assert.InRange(_net.Sent("10.240.0.1:862"), 400, 420);
    }
}
