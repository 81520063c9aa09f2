using Patronus.Engine.Tests.Hosting;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary><c>Traffic</c> as <see cref="TrafficServiceCollectionExtensions.AddTraffic"/> binds and validates it.</summary>
public sealed class TrafficOptionsValidatorTests
{
    [Fact]
    public void AddTraffic_Defaults_Valid() =>
        Assert.Empty(SectionOptions.Failures<TrafficOptions>((s, c) => s.AddTraffic(c)));

    [Theory]
    [InlineData("ReadInterval", "00:00:00.099", "Traffic:ReadInterval: The field ReadInterval must be between 00:00:00.1000000 and 01:00:00.")]
    [InlineData("FlowReadInterval", "01:00:01", "Traffic:FlowReadInterval: The field FlowReadInterval must be between 00:00:00.1000000 and 01:00:00.")]
    [InlineData("ConntrackPath", "", "Traffic:ConntrackPath: The ConntrackPath field is required.")]
    public void AddTraffic_BadValue_FailureNamesKey(string key, string value, string message)
    {
        var failures = SectionOptions.Failures<TrafficOptions>((s, c) => s.AddTraffic(c), $"Traffic:{key}", value);

        Assert.Equal(message, Assert.Single(failures));
    }
}
