using Patronus.Engine.Health;
using Patronus.Engine.Tests.Hosting;

namespace Patronus.Engine.Tests.Health;

/// <summary><c>Health</c> and <c>Health:Persistence</c> as <see cref="HealthServiceCollectionExtensions.AddHealth"/> binds and validates them.</summary>
public sealed class HealthOptionsValidatorTests
{
    [Fact]
    public void AddHealth_Defaults_Valid()
    {
        Assert.Empty(SectionOptions.Failures<HealthOptions>((s, c) => s.AddHealth(c)));
        Assert.Empty(SectionOptions.Failures<HealthPersistenceOptions>((s, c) => s.AddHealth(c)));
    }

    [Theory]
    [InlineData("Interval", "01:00:01", "Health:Interval: The field Interval must be between 00:00:00.0100000 and 01:00:00.")]
    [InlineData("MaxTimeout", "00:01:01", "Health:MaxTimeout: The field MaxTimeout must be between 00:00:00.0010000 and 00:01:00.")]
    [InlineData("ConfirmCount", "0", "Health:ConfirmCount: The field ConfirmCount must be between 1 and 100.")]
    [InlineData("WindowCount", "1", "Health:WindowCount: The field WindowCount must be between 2 and 1000.")]
    [InlineData("WindowSpan", "00:00:00.5", "Health:WindowSpan: The field WindowSpan must be between 00:00:01 and 01:00:00.")]
    [InlineData("SessionRetry", "00:00:00", "Health:SessionRetry: The field SessionRetry must be between 00:00:00.1000000 and 01:00:00.")]
    [InlineData("PassiveMinPackets", "0", "Health:PassiveMinPackets: The field PassiveMinPackets must be between 1 and 1000000.")]
    [InlineData("MinTimeout", "00:00:02", "Health:MinTimeout: 00:00:02 is greater than MaxTimeout 00:00:01")]
    [InlineData("FastInterval", "00:00:01", "Health:FastInterval: 00:00:01 is longer than Interval 00:00:00.5000000")]
    public void AddHealth_BadHealthValue_FailureNamesKey(string key, string value, string message)
    {
        var failures = SectionOptions.Failures<HealthOptions>((s, c) => s.AddHealth(c), $"Health:{key}", value);

        Assert.Equal(message, Assert.Single(failures));
    }

    [Theory]
    [InlineData("SampleQueueCapacity", "0", "Health:Persistence:SampleQueueCapacity: The field SampleQueueCapacity must be between 1 and 10000000.")]
    [InlineData("FlushInterval", "00:01:01", "Health:Persistence:FlushInterval: The field FlushInterval must be between 00:00:00.0100000 and 00:01:00.")]
    [InlineData("MaxWriteAttempts", "0", "Health:Persistence:MaxWriteAttempts: The field MaxWriteAttempts must be between 1 and 1000.")]
    [InlineData("RawRetention", "00:09:59", "Health:Persistence:RawRetention: The field RawRetention must be between 00:10:00 and 3650.00:00:00.")]
    [InlineData("MinuteRetention", "12:00:00", "Health:Persistence: MinuteRetention (12:00:00) must be at least RawRetention (1.00:00:00)")]
    [InlineData("HourRetention", "3.00:00:00", "Health:Persistence: HourRetention (3.00:00:00) must be at least MinuteRetention (7.00:00:00)")]
    public void AddHealth_BadPersistenceValue_FailureNamesKey(string key, string value, string message)
    {
        var failures = SectionOptions.Failures<HealthPersistenceOptions>((s, c) => s.AddHealth(c), $"Health:Persistence:{key}", value);

        Assert.Equal(message, Assert.Single(failures));
    }
}
