using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class HealthStatsPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 34, 56, 789, TimeSpan.Zero);
    private static readonly HealthPersistenceOptions Retention = new(); // raw 24 h, minutes 7 days, hours 400 days

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture);

    private static HealthStatsSegment Raw(string from, string until) => new(HealthResolution.Raw, At(from), At(until));

    private static HealthStatsSegment TenSeconds(string from, string until) => new(HealthResolution.TenSeconds, At(from), At(until));

    private static HealthStatsSegment Minutes(string from, string until) => new(HealthResolution.Minute, At(from), At(until));

    private static HealthStatsSegment Hours(string from, string until) => new(HealthResolution.Hour, At(from), At(until));

    private static HealthStatsPlan Plan(TimeSpan span, string? minutesUntil = "2026-03-10T12:34:00Z", string? hoursUntil = "2026-03-10T12:00:00Z") =>
        HealthStatsPlanner.Plan(Now - span, Now, Now, Retention, minutesUntil is null ? null : At(minutesUntil), hoursUntil is null ? null : At(hoursUntil));

    [Fact]
    public void Plan_Hour_WholeTenSecondBucketsBetweenRawEdges()
    {
        var plan = Plan(TimeSpan.FromHours(1));

        // The open 10-second bucket (12:34:50–now) is not written yet: only raw samples could hold it.
        Assert.Equal(HealthResolution.TenSeconds, plan.Resolution);
        Assert.Equal(
        [
            Raw("2026-03-10T11:34:56.789Z", "2026-03-10T11:35:00Z"),
            TenSeconds("2026-03-10T11:35:00Z", "2026-03-10T12:34:50Z"),
            Raw("2026-03-10T12:34:50Z", "2026-03-10T12:34:56.789Z"),
        ], plan.Segments);
    }

    [Fact]
    public void Plan_Day_WholeMinutesBetweenRawEdges()
    {
        var plan = Plan(TimeSpan.FromDays(1));

        Assert.Equal(HealthResolution.Minute, plan.Resolution);
        Assert.Equal(
        [
            Raw("2026-03-09T12:34:56.789Z", "2026-03-09T12:35:00Z"),
            Minutes("2026-03-09T12:35:00Z", "2026-03-10T12:34:00Z"),
            TenSeconds("2026-03-10T12:34:00Z", "2026-03-10T12:34:50Z"),
            Raw("2026-03-10T12:34:50Z", "2026-03-10T12:34:56.789Z"),
        ], plan.Segments);
    }

    [Fact]
    public void Plan_DayWithRollupBehind_TailFromTenSecondBucketsSinceNewestMinute()
    {
        var plan = Plan(TimeSpan.FromDays(1), minutesUntil: "2026-03-10T12:31:00Z");

        Assert.Equal(Minutes("2026-03-09T12:35:00Z", "2026-03-10T12:31:00Z"), plan.Segments[1]);
        Assert.Equal(TenSeconds("2026-03-10T12:31:00Z", "2026-03-10T12:34:50Z"), plan.Segments[2]);
    }

    [Fact]
    public void Plan_DayWithoutAnyRollup_AllTenSecondBucketsAndSaysSo()
    {
        var plan = Plan(TimeSpan.FromDays(1), minutesUntil: null, hoursUntil: null);

        Assert.Equal(HealthResolution.TenSeconds, plan.Resolution);
        Assert.Equal(TenSeconds("2026-03-09T12:35:00Z", "2026-03-10T12:34:50Z"), plan.Segments[1]);
    }

    [Fact]
    public void Plan_Month_HoursThenMinutesThenRaw_ExpiredHeadLeftOut()
    {
        var plan = Plan(TimeSpan.FromDays(30));

        Assert.Equal(HealthResolution.Hour, plan.Resolution);
        // The head [12:34:56.789, 13:00) 30 days ago: minutes and raw samples of then are expired.
        Assert.Equal(
        [
            Hours("2026-02-08T13:00:00Z", "2026-03-10T12:00:00Z"),
            Minutes("2026-03-10T12:00:00Z", "2026-03-10T12:34:00Z"),
            TenSeconds("2026-03-10T12:34:00Z", "2026-03-10T12:34:50Z"),
            Raw("2026-03-10T12:34:50Z", "2026-03-10T12:34:56.789Z"),
        ], plan.Segments);
    }

    [Fact]
    public void Plan_PastRangeBeyondRawRetention_MinutesOnly()
    {
        // Three hours two days ago: raw by span, but raw samples of then are gone.
        var plan = HealthStatsPlanner.Plan(At("2026-03-08T10:00:30Z"), At("2026-03-08T13:00:30Z"), Now, Retention, At("2026-03-10T12:34:00Z"), null);

        Assert.Equal(HealthResolution.Minute, plan.Resolution);
        Assert.Equal([Minutes("2026-03-08T10:01:00Z", "2026-03-08T13:00:00Z")], plan.Segments);
    }

    [Fact]
    public void Plan_EverythingExpired_NoSegments()
    {
        var plan = HealthStatsPlanner.Plan(At("2024-10-01T00:00:00Z"), At("2024-10-02T00:00:00Z"), Now, Retention, At("2026-03-10T12:34:00Z"), At("2026-03-10T12:00:00Z"));

        Assert.Equal(HealthResolution.Hour, plan.Resolution);
        Assert.Empty(plan.Segments);
    }

    [Fact]
    public void Plan_RandomRangesWithinRawRetention_SegmentsTileThePeriod()
    {
        var random = new Random(6);
        for (var run = 0; run < 1_000; run++)
        {
            var from = Now - TimeSpan.FromMilliseconds(random.NextInt64(1, (long)TimeSpan.FromHours(24).TotalMilliseconds));
            var until = from + TimeSpan.FromMilliseconds(random.NextInt64(1, (long)(Now + TimeSpan.FromHours(1) - from).TotalMilliseconds));
            var minutes = random.Next(4) == 0 ? (DateTimeOffset?)null : Now - TimeSpan.FromMinutes(random.Next(0, 2_000));
            var hours = random.Next(4) == 0 ? (DateTimeOffset?)null : Now - TimeSpan.FromHours(random.Next(0, 30));

            var plan = HealthStatsPlanner.Plan(from, until, Now, Retention, minutes, hours);

            // Everything since now − 24 h is still held as raw samples: no gap, no overlap.
            var cursor = from;
            foreach (var segment in plan.Segments)
            {
                Assert.True(segment.From == cursor && segment.Until > segment.From, $"run {run}: {string.Join(", ", plan.Segments)}");
                var size = segment.Resolution.BucketSize();
                if (size > TimeSpan.Zero)
                {
                    Assert.Equal(0, segment.From.UtcTicks % size.Ticks);
                    Assert.Equal(0, segment.Until.UtcTicks % size.Ticks);
                    var written = segment.Resolution switch { HealthResolution.Minute => minutes, HealthResolution.Hour => hours, _ => Now };
                    Assert.True(segment.Until <= written, $"run {run}: past the rolled-up buckets");
                }

                cursor = segment.Until;
            }

            Assert.Equal(until, cursor);
        }
    }
}
