using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class HealthPersistenceOptionsTests
{
    [Fact]
    public void Validate_Defaults_SucceedWithThirtyDaysOfEvents()
    {
        var options = new HealthPersistenceOptions();

        Assert.True(new HealthPersistenceOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(TimeSpan.FromDays(30), options.EventRetention);
    }

    [Theory]
    [InlineData("00:59:59")]
    [InlineData("3651.00:00:00")]
    public void Validate_EventRetentionOutOfRange_FailureNamesIt(string value)
    {
        var result = new HealthPersistenceOptionsValidator().Validate(null, new HealthPersistenceOptions { EventRetention = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("EventRetention", StringComparison.Ordinal));
    }
}
