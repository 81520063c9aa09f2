using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class HealthHistoryTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly HealthPersistenceOptions s_retention = new(); // raw and 10 s 24 h, minutes 7 d, hours 400 d

    [Theory]
    [InlineData(0, HealthResolution.TenSeconds)]
    [InlineData(6 * 60, HealthResolution.TenSeconds)]
    [InlineData(6 * 60 + 1, HealthResolution.Minute)]
    [InlineData(7 * 24 * 60, HealthResolution.Minute)]
    [InlineData(7 * 24 * 60 + 1, HealthResolution.Hour)]
    [InlineData(400 * 24 * 60, HealthResolution.Hour)]
    public void ChooseResolution_BySpan(int minutes, HealthResolution expected)
    {
        Assert.Equal(expected, HealthHistory.ChooseResolution(s_now.AddMinutes(-minutes), s_now));
    }

    // (from hours ago, until hours ago, requested, expected resolution, expected from hours ago; -1 = empty)
    [Theory]
    [InlineData(1, 0, null, HealthResolution.TenSeconds, 1)] // recent hour: 10-second buckets (raw samples only when asked for)
    [InlineData(50, 47, null, HealthResolution.Minute, 50)] // 3 h two days ago: 10-second buckets expired, minutes hold it
    [InlineData(200, 197, null, HealthResolution.Hour, 200)] // 3 h eight days ago: only hours left
    [InlineData(30, 0, null, HealthResolution.Minute, 30)] // 30 h: minutes by span
    [InlineData(24 * 500, 0, null, HealthResolution.Hour, 24 * 400)] // older than any retention: clamped to 400 days
    [InlineData(30, 0, HealthResolution.Raw, HealthResolution.Raw, 24)] // explicit raw: kept, clamped to 24 h
    [InlineData(50, 40, HealthResolution.Raw, HealthResolution.Raw, -1)] // explicit raw, all expired: empty
    [InlineData(24 * 500, 24 * 450, null, HealthResolution.Hour, -1)] // nothing retained: empty
    public void Plan_ChoosesAndClampsToRetention(int fromHoursAgo, int untilHoursAgo, HealthResolution? requested, HealthResolution expected, int expectedFromHoursAgo)
    {
        var until = s_now.AddHours(-untilHoursAgo);

        var plan = HealthHistory.Plan(s_now.AddHours(-fromHoursAgo), until, requested, s_now, s_retention);

        Assert.Equal(expected, plan.Resolution);
        Assert.Equal(until, plan.Until);
        if (expectedFromHoursAgo < 0)
        {
            Assert.True(plan.IsEmpty);
        }
        else
        {
            Assert.Equal(s_now.AddHours(-expectedFromHoursAgo), plan.From);
        }
    }

    [Fact]
    public void Plan_UntilBeforeFrom_Throws()
    {
        Assert.Throws<ArgumentException>(() => HealthHistory.Plan(s_now, s_now.AddHours(-1), null, s_now, s_retention));
    }
}
