using Patronus.Engine.Failover;
using Patronus.Engine.Tests.Hosting;

namespace Patronus.Engine.Tests.Failover;

/// <summary><c>Failover</c> as <see cref="FailoverServiceCollectionExtensions.AddFailover"/> binds and validates it.</summary>
public sealed class FailoverOptionsValidatorTests
{
    private const string Spans = "Failover: FlapWindow and RouteRetry must be positive, FlapHold not negative";

    [Fact]
    public void AddFailover_Defaults_Valid() =>
        Assert.Empty(SectionOptions.Failures<FailoverOptions>((s, c) => s.AddFailover(c)));

    [Theory]
    [InlineData("FlapMaxSwitches", "0", "Failover:FlapMaxSwitches: The field FlapMaxSwitches must be between 1 and 1000.")]
    [InlineData("RouteTable", "0", "Failover:RouteTable: The field RouteTable must be between 1 and 4294967295.")]
    [InlineData("RouteTable", "4294967296", "Failover:RouteTable: The field RouteTable must be between 1 and 4294967295.")]
    [InlineData("RouteMetric", "-1", "Failover:RouteMetric: The field RouteMetric must be between 0 and 4294967295.")]
    [InlineData("FlapWindow", "00:00:00", Spans)]
    [InlineData("FlapHold", "-00:00:01", Spans)]
    [InlineData("RouteRetry", "00:00:00", Spans)]
    public void AddFailover_BadValue_FailureNamesKey(string key, string value, string message)
    {
        var failures = SectionOptions.Failures<FailoverOptions>((s, c) => s.AddFailover(c), $"Failover:{key}", value);

        Assert.Equal(message, Assert.Single(failures));
    }

    [Fact]
    public void AddFailover_FlapHoldZero_Valid() =>
        Assert.Empty(SectionOptions.Failures<FailoverOptions>((s, c) => s.AddFailover(c), "Failover:FlapHold", "00:00:00"));
}
