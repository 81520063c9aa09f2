using System.Net;
using Microsoft.Extensions.Configuration;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tests.Failover;

public sealed class FailoverConfigReaderTests
{
    private static readonly TopologySnapshot s_topology = new(
        [new Site("s", "s", null, ItemSource.Config)],
        [new WanLink("l", "s", "l", null, "192.0.2.1", null, 10, ItemSource.Config)],
        [
            new PathDefinition("p1", "p1", "l", null, ["198.51.100.1"], ItemSource.Config),
            new PathDefinition("p2", "p2", "l", null, ["198.51.100.2"], ItemSource.Config),
            new PathDefinition("p3", "p3", "l", null, ["198.51.100.3"], ItemSource.Config),
        ]);

    private static (IReadOnlyList<FailoverPolicy> Policies, IReadOnlyList<TopologyError> Errors) Read(params (string Key, string Value)[] values) =>
        FailoverConfigReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build(), s_topology);

    private static (string, string)[] Valid(params (string Key, string Value)[] changes) =>
    [
        .. new (string, string)[]
        {
            ("FailoverPolicies:0:Name", "to-dc"),
            ("FailoverPolicies:0:Primary", "p1"),
            ("FailoverPolicies:0:Backups:0", "p2"),
            ("FailoverPolicies:0:Backups:1", "p3"),
            ("FailoverPolicies:0:Prefixes:0", "10.99.0.0/16"),
        }.Where(v => !changes.Any(c => c.Key == v.Item1)),
        .. changes,
    ];

    [Fact]
    public void Read_Valid_AllFieldsWithDefaults()
    {
        var (policies, errors) = Read(Valid(("FailoverPolicies:0:FailbackDelaySecs", "5"), ("FailoverPolicies:0:Enabled", "false")));

        Assert.Empty(errors);
        var p = Assert.Single(policies);
        Assert.Equal(("to-dc", "p1", 50.0, 80.0, TimeSpan.FromSeconds(5), false, ItemSource.Config),
            (p.Name, p.PrimaryPathId, p.FailoverThreshold, p.FailbackThreshold, p.FailbackDelay, p.Enabled, p.Source));
        Assert.Equal(["p2", "p3"], p.BackupPathIds);
        Assert.Equal([IPNetwork.Parse("10.99.0.0/16")], p.Prefixes);
    }

    [Theory]
    [InlineData("FailoverPolicies:0:Primry", "p1", "FailoverPolicies:0:Primry", "unknown key")]
    [InlineData("FailoverPolicies:0:Primary", "nope", "FailoverPolicies:0:Primary", "'nope' is not defined")]
    [InlineData("FailoverPolicies:0:Backups:1", "p1", "FailoverPolicies:0:Backups:1", "is the primary path")]
    [InlineData("FailoverPolicies:0:Backups:1", "p2", "FailoverPolicies:0:Backups:1", "duplicate backup")]
    [InlineData("FailoverPolicies:0:FailoverThreshold", "90", "FailoverPolicies:0:FailbackThreshold", "greater than the failover threshold")]
    [InlineData("FailoverPolicies:0:FailbackThreshold", "high", "FailoverPolicies:0:FailbackThreshold", "not a number")]
    [InlineData("FailoverPolicies:0:Prefixes:0", "10.99.1.0/16", "FailoverPolicies:0:Prefixes:0", "did you mean 10.99.0.0/16")]
    [InlineData("FailoverPolicies:0:Prefixes:0", "10.99.0.0", "FailoverPolicies:0:Prefixes:0", "not a prefix")]
    [InlineData("FailoverPolicies:0:Enabled", "yes", "FailoverPolicies:0:Enabled", "not true or false")]
    public void Read_BadField_NamedInTheError(string key, string value, string errorKey, string message)
    {
        var (policies, errors) = Read(Valid((key, value)));

        Assert.Empty(policies);
        var error = Assert.Single(errors);
        Assert.Equal(errorKey, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SamePrefixInTwoPolicies_Refused()
    {
        var (_, errors) = Read(Valid(
            ("FailoverPolicies:1:Name", "other"), ("FailoverPolicies:1:Primary", "p2"), ("FailoverPolicies:1:Prefixes:0", "10.99.0.0/16")));

        Assert.Contains(errors, e => e.Key == "FailoverPolicies:1:Prefixes:0" && e.Message.Contains("already steered by policy 'to-dc'", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_ClassPolicySharingThePrefixOfAClasslessOne_Accepted()
    {
        var (policies, errors) = Read(Valid(
            ("TrafficClasses:0:Name", "voice"), ("TrafficClasses:0:Sla:MaxLossPercent", "1"),
            ("FailoverPolicies:1:Name", "voice-to-dc"), ("FailoverPolicies:1:Primary", "p1"), ("FailoverPolicies:1:Backups:0", "p2"),
            ("FailoverPolicies:1:Prefixes:0", "10.99.0.0/16"), ("FailoverPolicies:1:Class", "voice")));

        Assert.Empty(errors);
        Assert.Equal([null, "voice"], policies.Select(p => p.Class));
    }

    [Theory]
    [InlineData("", "FailoverPolicies:1:Class", "must name a traffic class")]
    [InlineData("video", "FailoverPolicies:1:Class", "'video' is not a traffic class (TrafficClasses: voice)")]
    [InlineData("Voice", "FailoverPolicies:1:Class", "'Voice' is not a traffic class")]
    public void Read_ClassNotConfigured_NamedInTheError(string trafficClass, string errorKey, string message)
    {
        var (policies, errors) = Read(Valid(
            ("TrafficClasses:0:Name", "voice"),
            ("FailoverPolicies:1:Name", "voice-to-dc"), ("FailoverPolicies:1:Primary", "p1"), ("FailoverPolicies:1:Class", trafficClass)));

        Assert.Empty(policies);
        Assert.Contains(errors, e => e.Key == errorKey && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_TwoPoliciesOfOneClassOnOnePrefix_Refused()
    {
        var (_, errors) = Read(Valid(
            ("TrafficClasses:0:Name", "voice"),
            ("FailoverPolicies:0:Class", "voice"),
            ("FailoverPolicies:1:Name", "other"), ("FailoverPolicies:1:Primary", "p2"), ("FailoverPolicies:1:Prefixes:0", "10.99.0.0/16"), ("FailoverPolicies:1:Class", "voice")));

        Assert.Contains(errors, e => e.Key == "FailoverPolicies:1:Prefixes:0" && e.Message.Contains("already steered for class voice by policy 'to-dc'", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_ClassWithoutTrafficClasses_Refused()
    {
        var (_, errors) = Read(Valid(("FailoverPolicies:0:Class", "voice")));

        Assert.Contains(errors, e => e.Key == "FailoverPolicies:0:Class" && e.Message.Contains("TrafficClasses defines none", StringComparison.Ordinal));
    }
}
