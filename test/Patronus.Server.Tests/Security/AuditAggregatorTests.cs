using System.Net;
using Patronus.Persistence.Security;
using Patronus.Server.Security;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

public sealed class AuditAggregatorTests
{
    private static AuditRecord Refused(TimeProvider time) =>
        new(time.GetUtcNow(), "mallory", "login", null, "192.0.2.7", "denied", 401, null);

    /// <summary>A source's window lasts one minute of monotonic time whatever the wall clock does (issue 12: one time model).</summary>
    [Theory]
    [InlineData(-60)]
    [InlineData(60)]
    public void Window_WallClockStepped_CountsForOneMonotonicMinuteThenSummarises(int stepMinutes)
    {
        var time = new SteppableTimeProvider();
        var aggregator = new AuditAggregator(time);
        var source = AuditSource.OfAddress(IPAddress.Parse("192.0.2.7"));
        Assert.True(aggregator.Admit(source, Refused(time)));

        time.StepWallClock(TimeSpan.FromMinutes(stepMinutes));
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(aggregator.Admit(source, Refused(time)), "still the same window: counted, not written");
        Assert.Empty(aggregator.TakeSummaries(all: false));
        time.Advance(TimeSpan.FromSeconds(51));
        var summary = Assert.Single(aggregator.TakeSummaries(all: false));
        Assert.StartsWith("1 more refused requests", summary.Detail, StringComparison.Ordinal);
    }
}
