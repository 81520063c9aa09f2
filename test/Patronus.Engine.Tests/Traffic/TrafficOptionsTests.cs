using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

public sealed class TrafficOptionsTests
{
    [Fact]
    public void Defaults_OnEverySecondFlowsEveryFiveSeconds()
    {
        var options = new TrafficOptions();

        Assert.True(options.Enabled);
        Assert.True(options.Flows);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReadInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.FlowReadInterval);
        Assert.Null(options.NftPath);
        Assert.Equal("/proc/net/nf_conntrack", options.ConntrackPath);
        Assert.Empty(Validate(options));
    }

    [Theory]
    [InlineData("00:00:00.099", "00:00:05", nameof(TrafficOptions.ReadInterval))]
    [InlineData("01:00:01", "00:00:05", nameof(TrafficOptions.ReadInterval))]
    [InlineData("00:00:01", "00:00:00", nameof(TrafficOptions.FlowReadInterval))]
    [InlineData("00:00:01", "-00:00:01", nameof(TrafficOptions.FlowReadInterval))]
    public void Validate_IntervalOutOfRange_Rejected(string read, string flows, string member)
    {
        var options = new TrafficOptions { ReadInterval = TimeSpan.Parse(read, System.Globalization.CultureInfo.InvariantCulture), FlowReadInterval = TimeSpan.Parse(flows, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.Contains(member, Assert.Single(Validate(options)).MemberNames);
    }

    private static List<ValidationResult> Validate(TrafficOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
