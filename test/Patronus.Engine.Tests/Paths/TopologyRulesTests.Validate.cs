using Patronus.Engine.Paths;

namespace Patronus.Engine.Tests.Paths;

/// <summary><see cref="TopologyRules.Validate"/>: a valid baseline, then one mutation per row.</summary>
public sealed partial class TopologyRulesTests
{
    private static readonly Site[] s_sites =
    [
        new("s1", "Branch", null, ItemSource.Config),
        new("dc", "Data centre", null, ItemSource.Config),
    ];

    private static readonly WanLink[] s_links =
    [
        new("l4", "s1", "Fibre", "eth1", "192.0.2.10", "192.0.2.1", 10, ItemSource.Config),
        new("l6", "s1", "Fibre v6", "eth1", "2001:db8::10", "2001:db8::1", 20, ItemSource.Config),
        new("lte", "s1", "LTE", "wwan0", null, null, 100, ItemSource.Config),
    ];

    private static readonly PathDefinition[] s_paths =
    [
        new("p4", "To DC", "l4", "dc", ["198.51.100.1", "198.51.100.2:862"], ItemSource.Config),
        new("p6", "To DC v6", "l6", "dc", ["[2001:db8:1::1]:862", "2001:db8:1::2"], ItemSource.Config),
        // No source address: the kernel picks one, so either family is acceptable.
        new("plte", "LTE mixed", "lte", null, ["198.51.100.1", "2001:db8:1::1"], ItemSource.Config),
    ];

    private static IReadOnlyList<TopologyError> Validate(
        Func<Site[], Site[]>? sites = null, Func<WanLink[], WanLink[]>? links = null, Func<PathDefinition[], PathDefinition[]>? paths = null) =>
        TopologyRules.Validate(
            sites?.Invoke([.. s_sites]) ?? s_sites,
            links?.Invoke([.. s_links]) ?? s_links,
            paths?.Invoke([.. s_paths]) ?? s_paths);

    private static T[] Set<T>(T[] items, int index, T item)
    {
        items[index] = item;
        return items;
    }

    private static TopologyError SingleError(IReadOnlyList<TopologyError> errors, string key)
    {
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        return error;
    }

    [Fact]
    public void Validate_Baseline_NoErrors() => Assert.Empty(Validate());

    [Fact]
    public void Validate_EmptyTopology_NoErrors() => Assert.Empty(TopologyRules.Validate([], [], []));

    [Theory]
    [InlineData("Sites", "Sites:1:Id", "duplicate site id 's1'")]
    [InlineData("Links", "Links:1:Id", "duplicate link id 'l4'")]
    [InlineData("Paths", "Paths:1:Id", "duplicate path id 'p4'")]
    public void Validate_DuplicateId_ErrorOnSecond(string section, string key, string message)
    {
        var errors = section switch
        {
            "Sites" => Validate(sites: s => Set(s, 1, s[1] with { Id = "s1" }), links: l => l, paths: p => p.Select(x => x with { RemoteSiteId = null }).ToArray()),
            "Links" => Validate(links: l => Set(l, 1, l[0]), paths: p => p.Where(x => x.LinkId != "l6").ToArray()),
            _ => Validate(paths: p => Set(p, 1, p[0])),
        };

        Assert.Equal(message, SingleError(errors, key).Message);
    }

    [Fact]
    public void Validate_IdsDifferingOnlyInCase_AreDistinct() =>
        Assert.Empty(Validate(sites: s => [.. s, new Site("S1", "Upper", null, ItemSource.Config)]));

    [Fact]
    public void Validate_PathToUnknownLink_KeyIsPathLinkAndMessageNamesBoth()
    {
        var errors = Validate(paths: p => Set(p, 1, p[1] with { Id = "p-orphan", LinkId = "l-gone" }));

        var error = SingleError(errors, "Paths:1:Link");
        Assert.Equal("p-orphan", error.ItemId);
        Assert.Contains("'p-orphan'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'l-gone'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PathWithoutLink_Required() =>
        Assert.Equal("is required", SingleError(Validate(paths: p => Set(p, 0, p[0] with { LinkId = "" })), "Paths:0:Link").Message);

    [Fact]
    public void Validate_LinkToUnknownSite_KeyIsLinkSite()
    {
        var errors = Validate(links: l => Set(l, 2, l[2] with { SiteId = "nowhere" }));

        var error = SingleError(errors, "Links:2:Site");
        Assert.Contains("'lte'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'nowhere'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PathToUnknownRemoteSite_KeyIsPathRemoteSite() =>
        Assert.Contains("'mars'", SingleError(Validate(paths: p => Set(p, 0, p[0] with { RemoteSiteId = "mars" })), "Paths:0:RemoteSite").Message,
            StringComparison.Ordinal);

    [Theory]
    [InlineData("192.0.2.10", "2001:db8::1")]
    [InlineData("2001:db8::10", "192.0.2.1")]
    public void Validate_GatewayOtherFamilyThanSource_ErrorOnGateway(string source, string gateway)
    {
        var errors = Validate(links: l => Set(l, 0, l[0] with { SourceAddress = source, Gateway = gateway }),
            paths: p => p.Where(x => x.LinkId != "l4").ToArray());

        Assert.Contains("same address family", SingleError(errors, "Links:0:Gateway").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "2001:db8::5")] // link l4 is IPv4
    [InlineData(0, "[2001:db8::5]:862")]
    [InlineData(1, "10.0.0.5")] // link l6 is IPv6
    [InlineData(1, "10.0.0.5:862")]
    public void Validate_TargetOtherFamilyThanLinkSource_ErrorNamesTargetAndLink(int path, string target)
    {
        var errors = Validate(paths: p => Set(p, path, p[path] with { Targets = [.. p[path].Targets, target] }));

        var error = SingleError(errors, $"Paths:{path}:Targets:2");
        Assert.Contains($"'{target}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"link '{s_paths[path].LinkId}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.51.100.1", true)]
    [InlineData("198.51.100.1:862", false)] // another port is another target
    [InlineData("198.51.100.2:862", true)]
    public void Validate_RepeatedTarget_ErrorOnRepeat(string target, bool duplicate)
    {
        var errors = Validate(paths: p => Set(p, 0, p[0] with { Targets = [.. p[0].Targets, target] }));

        if (duplicate)
        {
            Assert.Equal($"duplicate target '{target}'", SingleError(errors, "Paths:0:Targets:2").Message);
        }
        else
        {
            Assert.Empty(errors);
        }
    }

    [Fact]
    public void Validate_SameIpv6AddressWithAndWithoutPort_NotDuplicate()
    {
        // Regression: "[addr]:862" used to parse as the bare address (port dropped), so this pair
        // was reported as a duplicate and the port was lost.
        var errors = Validate(paths: p => Set(p, 1, p[1] with { Targets = ["2001:db8:1::1", "[2001:db8:1::1]:862"] }));

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_NoTargets_ErrorOnTargets() =>
        Assert.Equal("at least one target is required", SingleError(Validate(paths: p => Set(p, 2, p[2] with { Targets = [] })), "Paths:2:Targets").Message);

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    public void Validate_TargetCount_AtMost16(int count, bool ok)
    {
        var targets = Enumerable.Range(1, count).Select(i => $"198.51.100.{i}").ToArray();

        var errors = Validate(paths: p => Set(p, 0, p[0] with { Targets = targets }));

        if (ok)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains("at most 16", SingleError(errors, "Paths:0:Targets").Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_BadTarget_KeyNamesItsIndex() =>
        SingleError(Validate(paths: p => Set(p, 0, p[0] with { Targets = ["198.51.100.1", "10.0.0.1:0"] })), "Paths:0:Targets:1");

    [Theory]
    [InlineData("Interface", "Links:0:Interface")]
    [InlineData("SourceAddress", "Links:0:SourceAddress")]
    [InlineData("Gateway", "Links:0:Gateway")]
    [InlineData("Cost", "Links:0:Cost")]
    [InlineData("Id", "Links:0:Id")]
    [InlineData("Name", "Links:0:Name")]
    public void Validate_BadLinkField_KeyNamesTheField(string field, string key)
    {
        var link = s_links[0];
        link = field switch
        {
            "Interface" => link with { Interface = "a-very-long-ifname" },
            "SourceAddress" => link with { SourceAddress = "192.0.2" },
            "Gateway" => link with { Gateway = "010.0.0.1" },
            "Cost" => link with { Cost = 65536 },
            "Id" => link with { Id = "bad id" },
            _ => link with { Name = new string('x', 201) },
        };

        // Paths keep pointing at l4, so an id change also leaves p4 dangling: look only at the link's errors.
        var errors = Validate(links: l => Set(l, 0, link)).Where(e => e.Key.StartsWith("Links:", StringComparison.Ordinal)).ToList();

        SingleError(errors, key);
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("Description")]
    public void Validate_SiteTextTooLong_KeyNamesTheField(string field)
    {
        var text = new string('x', 201);
        var site = field == "Name" ? s_sites[0] with { Name = text } : s_sites[0] with { Description = text };

        Assert.Equal("is longer than 200 characters", SingleError(Validate(sites: s => Set(s, 0, site)), $"Sites:0:{field}").Message);
    }

    [Fact]
    public void Validate_SeveralProblems_AllReportedInOneRun()
    {
        var errors = Validate(
            sites: s => Set(s, 1, s[1] with { Id = "-dc" }),
            links: l => Set(l, 2, l[2] with { Cost = -1, Interface = "bad/if" }),
            paths: p => Set(p, 0, p[0] with { LinkId = "l-gone", Targets = ["198.51.100.1", "host.example"] }));

        // p4 and p6 also lose their remote site "dc" (now "-dc").
        Assert.Equal(
            ["Links:2:Cost", "Links:2:Interface", "Paths:0:Link", "Paths:0:RemoteSite", "Paths:0:Targets:1", "Paths:1:RemoteSite", "Sites:1:Id"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }
}
