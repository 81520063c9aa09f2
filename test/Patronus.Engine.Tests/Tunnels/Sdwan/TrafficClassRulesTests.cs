using Microsoft.Extensions.Configuration;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class TrafficClassRulesTests
{
    public static TheoryData<string, TrafficClassOptions[], string> Invalid => new()
    {
        { "empty name", [new() { Name = "" }], "TrafficClasses:0:Name:" },
        { "name with a space", [new() { Name = "a b" }], "TrafficClasses:0:Name:" },
        { "reserved name", [new() { Name = "Default" }], "TrafficClasses:0:Name: 'default' is the class" },
        { "same name twice", [new() { Name = "v", Match = [new() { Dscp = ["EF"] }] }, new() { Name = "V" }], "TrafficClasses:1:Name: another class" },
        { "catch-all not last", [new() { Name = "all" }, new() { Name = "v", Match = [new() { Dscp = ["EF"] }] }], "TrafficClasses:0:Match: a class without rules" },
        { "DSCP above 63", [new() { Name = "v", Match = [new() { Dscp = ["EF", "64"] }] }], "TrafficClasses:0:Match:0:Dscp:1:" },
        { "unknown DSCP name", [new() { Name = "v", Match = [new() { Dscp = ["AF51"] }] }], "TrafficClasses:0:Match:0:Dscp:0:" },
        { "unknown protocol", [new() { Name = "v", Match = [new() { Protocol = "udpx" }] }], "TrafficClasses:0:Match:0:Protocol:" },
        { "port above 65535", [new() { Name = "v", Match = [new() { Protocol = "udp", Ports = ["70000"] }] }], "TrafficClasses:0:Match:0:Ports:0:" },
        { "inverted range", [new() { Name = "v", Match = [new() { Ports = ["1", "20000-10000"] }] }], "TrafficClasses:0:Match:0:Ports:1:" },
        { "ports on ICMP", [new() { Name = "v", Match = [new() { Protocol = "icmp", Ports = ["1"] }] }], "TrafficClasses:0:Match:0:Ports: protocol 'icmp' has no ports" },
        { "bad prefix", [new() { Name = "v", Match = [new() { Prefixes = ["10.0.0.0/33"] }] }], "TrafficClasses:0:Match:0:Prefixes:0:" },
        { "zero latency", [new() { Name = "v", Sla = new() { MaxLatencyMs = 0 } }], "TrafficClasses:0:Sla:MaxLatencyMs:" },
        { "loss above 100", [new() { Name = "v", Sla = new() { MaxLossPercent = 101 } }], "TrafficClasses:0:Sla:MaxLossPercent:" },
        { "negative jitter", [new() { Name = "v", Sla = new() { MaxJitterMs = -1 } }], "TrafficClasses:0:Sla:MaxJitterMs:" },
        { "unknown duplication", [new() { Name = "v", Duplication = "sometimes" }], "TrafficClasses:0:Duplication: 'sometimes'" },
        { "on-sla-breach without SLA", [new() { Name = "v", Duplication = "on-sla-breach" }], "TrafficClasses:0:Duplication: on-sla-breach needs" },
        { "on-sla-breach with an empty SLA", [new() { Name = "v", Duplication = "on-sla-breach", Sla = new() }], "TrafficClasses:0:Duplication: on-sla-breach needs" },
        { "hold 0", [new() { Name = "v", DuplicationHoldSecs = 0 }], "TrafficClasses:0:DuplicationHoldSecs:" },
        { "path twice", [new() { Name = "v", PreferredPaths = ["p1", "p1"] }], "TrafficClasses:0:PreferredPaths:1:" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_BrokenRule_NamesTheKey(string why, TrafficClassOptions[] classes, string expected)
    {
        var failures = TrafficClassRules.Validate(classes);

        Assert.True(failures.Count == 1 && failures[0].StartsWith(expected, StringComparison.Ordinal), $"{why}: {string.Join(" | ", failures)}");
    }

    [Fact]
    public void Validate_FullExample_HasNoFailures()
    {
        TrafficClassOptions[] classes =
        [
            new()
            {
                Name = "voice",
                Match = [new() { Dscp = ["EF", "46", "cs5"] }, new() { Protocol = "UDP", Ports = ["10000-20000", " 5060 "] }],
                Sla = new() { MaxLatencyMs = 150, MaxLossPercent = 1, MaxJitterMs = 30 },
                PreferredPaths = ["a-b-1", "a-b-2"],
                Duplication = "On-SLA-Breach",
            },
            new() { Name = "ipv6-lab", Match = [new() { Protocol = "58", Prefixes = ["fd00::/8", "10.0.0.0/8"] }] },
            new() { Name = "bulk", Sla = new() { MaxLossPercent = 5 } },
        ];

        Assert.Empty(TrafficClassRules.Validate(classes));
    }

    [Theory]
    [InlineData("EF", 46)]
    [InlineData("ef", 46)]
    [InlineData("VA", 44)]
    [InlineData("LE", 1)]
    [InlineData("CS0", 0)]
    [InlineData("CS7", 56)]
    [InlineData("AF11", 10)]
    [InlineData("AF43", 38)]
    [InlineData("AF41", 34)]
    [InlineData("0", 0)]
    [InlineData("63", 63)]
    public void TryParseDscp_NameOrNumber_GivesCodePoint(string text, int expected)
    {
        Assert.True(TrafficClassRules.TryParseDscp(text, out var dscp));
        Assert.Equal(expected, dscp);
    }

    [Theory]
    [InlineData("64")]
    [InlineData("-1")]
    [InlineData("CS8")]
    [InlineData("AF14")]
    [InlineData("AF51")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParseDscp_Invalid_ReturnsFalse(string? text) => Assert.False(TrafficClassRules.TryParseDscp(text, out _));

    [Theory]
    [InlineData("5060", 5060, 5060, true)]
    [InlineData("10000-20000", 10000, 20000, true)]
    [InlineData("0-65535", 0, 65535, true)]
    [InlineData("7 - 9", 7, 9, true)]
    [InlineData("9-7", 0, 0, false)]
    [InlineData("65536", 0, 0, false)]
    [InlineData("1-", 0, 0, false)]
    [InlineData("-1", 0, 0, false)]
    [InlineData("x", 0, 0, false)]
    public void TryParsePorts_Text_GivesRange(string text, int low, int high, bool ok)
    {
        Assert.Equal(ok, TrafficClassRules.TryParsePorts(text, out var l, out var h));
        if (ok)
        {
            Assert.Equal((low, high), (l, h));
        }
    }

    [Fact]
    public void Read_ValidSection_GivesClasses()
    {
        var (classes, failures) = TrafficClassRules.Read(Config(("0:Name", "voice"), ("0:Match:0:Dscp:0", "EF"), ("1:Name", "bulk")));

        Assert.Empty(failures);
        Assert.Equal(["voice", "bulk"], classes.Select(c => c.Name));
    }

    [Fact]
    public void Read_NoSection_GivesNoClasses()
    {
        var (classes, failures) = TrafficClassRules.Read(new ConfigurationBuilder().Build());

        Assert.Empty(classes);
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("0:Match:0:Port:0", "10", "'Port'")] // misspelt: an error, not ignored
    [InlineData("0:Sla:MaxLossPercent", "lots", "MaxLossPercent")]
    [InlineData("0:Match:0:Ports:0", "70000", "TrafficClasses:0:Match:0:Ports:0:")]
    public void Read_BadKeyOrValue_NamesIt(string key, string value, string expected)
    {
        var (classes, failures) = TrafficClassRules.Read(Config(("0:Name", "voice"), (key, value)));

        Assert.Empty(classes);
        Assert.True(failures.Any(f => f.Contains(expected, StringComparison.Ordinal)), string.Join(" | ", failures));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => $"{TrafficClassRules.Section}:{v.Key}", v => (string?)v.Value)).Build();
}
