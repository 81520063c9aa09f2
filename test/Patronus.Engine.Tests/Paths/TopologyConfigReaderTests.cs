using Microsoft.Extensions.Configuration;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tests.Paths;

public sealed partial class TopologyConfigReaderTests
{
    /// <summary>A valid configuration as the JSON provider would flatten it.</summary>
    private static readonly Dictionary<string, string?> s_valid = new()
    {
        ["Sites:0:Id"] = "branch",
        ["Sites:0:Name"] = "Branch office",
        ["Sites:0:Description"] = "Floor 2 rack",
        ["Sites:1:Id"] = "dc",
        ["Links:0:Id"] = "fibre",
        ["Links:0:Site"] = "branch",
        ["Links:0:Interface"] = "eth1",
        ["Links:0:SourceAddress"] = "192.0.2.10",
        ["Links:0:Gateway"] = "192.0.2.1",
        ["Links:0:Cost"] = "5",
        ["Links:1:Id"] = "lte",
        ["Links:1:Site"] = "branch",
        ["Links:1:Interface"] = "",
        ["Paths:0:Id"] = "fibre-dc",
        ["Paths:0:Link"] = "fibre",
        ["Paths:0:RemoteSite"] = "dc",
        ["Paths:0:Targets:0"] = "198.51.100.1",
        ["Paths:0:Targets:1"] = "198.51.100.2:862",
        ["Paths:1:Id"] = "lte-dc",
        ["Paths:1:Link"] = "lte",
        ["Paths:1:Targets"] = "198.51.100.1",
    };

    private static (TopologySnapshot? Topology, IReadOnlyList<TopologyError> Errors) Read(
        IEnumerable<KeyValuePair<string, string?>> values, ItemSource source = ItemSource.Config) =>
        TopologyConfigReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), source);

    /// <summary>The valid configuration with some keys replaced (a null value removes the key).</summary>
    private static (TopologySnapshot? Topology, IReadOnlyList<TopologyError> Errors) ReadValidWith(params (string Key, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>(s_valid, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        return Read(values);
    }

    private static TopologyError SingleError((TopologySnapshot? Topology, IReadOnlyList<TopologyError> Errors) result, string key)
    {
        Assert.Null(result.Topology);
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        return error;
    }

    [Fact]
    public void Read_ValidConfiguration_SnapshotWithDefaults()
    {
        var (topology, errors) = Read(s_valid);

        Assert.Empty(errors);
        Assert.NotNull(topology);
        Assert.Equal(
            [new Site("branch", "Branch office", "Floor 2 rack", ItemSource.Config), new Site("dc", "dc", null, ItemSource.Config)],
            topology.Sites);
        Assert.Equal(
            [
                new WanLink("fibre", "branch", "fibre", "eth1", "192.0.2.10", "192.0.2.1", 5, ItemSource.Config),
                // Name defaults to the id, cost to 10, a blank interface to none.
                new WanLink("lte", "branch", "lte", null, null, null, WanLink.DefaultCost, ItemSource.Config),
            ],
            topology.Links);
        Assert.Equal(["fibre-dc", "lte-dc"], topology.Paths.Select(p => p.Id));
        Assert.True(topology.PathsById["fibre-dc"].SameAs(
            new PathDefinition("fibre-dc", "fibre-dc", "fibre", "dc", ["198.51.100.1", "198.51.100.2:862"], ItemSource.Config)));
    }

    [Fact]
    public void Read_TargetsAsSingleString_ListOfOne() =>
        Assert.Equal(["198.51.100.1"], Read(s_valid).Topology!.PathsById["lte-dc"].Targets);

    [Fact]
    public void Read_Source_StampedOnEveryItem()
    {
        var topology = Read(s_valid, ItemSource.Quickstart).Topology!;

        Assert.All(topology.Sites, s => Assert.Equal(ItemSource.Quickstart, s.Source));
        Assert.All(topology.Links, l => Assert.Equal(ItemSource.Quickstart, l.Source));
        Assert.All(topology.Paths, p => Assert.Equal(ItemSource.Quickstart, p.Source));
    }

    [Fact]
    public void Read_EmptyConfiguration_EmptyTopology()
    {
        var (topology, errors) = Read([]);

        Assert.Empty(errors);
        Assert.Empty(topology!.Sites);
        Assert.Empty(topology.Links);
        Assert.Empty(topology.Paths);
    }

    [Theory]
    [InlineData("Links:0:Gatway")]
    [InlineData("Sites:1:Descripton")]
    [InlineData("Paths:0:Target")]
    public void Read_UnknownKey_ReportedWithItsKey(string key)
    {
        // A misspelt key would otherwise be silently ignored (the binder drops unknown keys).
        var error = SingleError(ReadValidWith((key, "192.0.2.1")), key);

        Assert.Contains("unknown key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_KnownKeyInOtherCase_Accepted()
    {
        var (topology, errors) = ReadValidWith(("Links:0:Gateway", null), ("Links:0:gateway", "192.0.2.254"));

        Assert.Empty(errors);
        Assert.Equal("192.0.2.254", topology!.LinksById["fibre"].Gateway);
    }

    [Theory]
    [InlineData("cheap")]
    [InlineData("10.5")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    public void Read_NonNumericCost_ReportedOnceWithItsKey(string cost)
    {
        var error = SingleError(ReadValidWith(("Links:0:Cost", cost)), "Links:0:Cost");

        Assert.Equal("fibre", error.ItemId);
        Assert.Contains($"'{cost}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1", false)]
    [InlineData("0", true)]
    [InlineData("65535", true)]
    [InlineData("65536", false)]
    [InlineData("99999999999", false)]
    public void Read_CostBounds_ZeroTo65535(string cost, bool ok)
    {
        var result = ReadValidWith(("Links:0:Cost", cost));

        if (ok)
        {
            Assert.Empty(result.Errors);
            Assert.Equal(int.Parse(cost, System.Globalization.CultureInfo.InvariantCulture), result.Topology!.LinksById["fibre"].Cost);
        }
        else
        {
            SingleError(result, "Links:0:Cost");
        }
    }

    [Fact]
    public void Read_PathToUnknownLink_KeyIsPathLinkAndMessageNamesBoth()
    {
        var error = SingleError(ReadValidWith(("Paths:1:Link", "satellite")), "Paths:1:Link");

        Assert.Contains("'lte-dc'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'satellite'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Paths:0:Targets:1", "host.example", "Paths:0:Targets:1")]
    [InlineData("Paths:1:Targets", "10.0.0.1:0", "Paths:1:Targets:0")]
    [InlineData("Paths:0:Targets:1", "2001:db8::1", "Paths:0:Targets:1")] // link fibre is IPv4
    [InlineData("Links:0:SourceAddress", "010.0.0.1", "Links:0:SourceAddress")]
    [InlineData("Links:1:Interface", "abcdefghijklmnop", "Links:1:Interface")]
    [InlineData("Sites:0:Id", "bad id", "Sites:0:Id")]
    public void Read_InvalidValue_ReportedWithItsKey(string key, string value, string errorKey)
    {
        var result = ReadValidWith((key, value));

        // A bad site id also leaves its links dangling; the bad value itself must be reported under its key.
        Assert.Null(result.Topology);
        Assert.Contains(result.Errors, e => e.Key == errorKey);
    }

    [Fact]
    public void Read_MissingId_Required() =>
        Assert.Equal("is required", SingleError(ReadValidWith(("Sites:2:Name", "Nameless")), "Sites:2:Id").Message);

    [Theory]
    [InlineData("Sites", "branch")]
    [InlineData("Sites:main:Id", "x")]
    [InlineData("Links:5", "fibre")]
    public void Read_SectionNotAListOfObjects_Reported(string key, string value)
    {
        var values = new Dictionary<string, string?> { [key] = value };

        var (topology, errors) = Read(values);

        Assert.Null(topology);
        Assert.Equal(key.Split(':') is [var s, var i, ..] ? $"{s}:{i}" : key, Assert.Single(errors).Key);
    }

    [Fact]
    public void Read_SeveralProblems_AllReportedInOneRun()
    {
        var (topology, errors) = ReadValidWith(
            ("Links:0:Gatway", "192.0.2.1"),
            ("Links:1:Cost", "cheap"),
            ("Paths:0:Link", "satellite"),
            ("Paths:1:Targets", "host.example"));

        Assert.Null(topology);
        Assert.Equal(
            ["Links:0:Gatway", "Links:1:Cost", "Paths:0:Link", "Paths:1:Targets:0"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }
}
