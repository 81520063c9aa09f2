using System.Net;
using System.Text.Json;
using Patronus.Engine.Routing.Kernel;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Routing;

/// <summary>Kernel routes through rtnetlink, in a namespace of the test's own, checked with iproute2.</summary>
public sealed class NetlinkRouteLabTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task ReplaceAndDelete_ShowInTheKernelTable()
    {
        await using var lab = NetLab.Create(output);
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/24", far, "wan1", "10.240.1.2/24");
        var index = await InterfaceIndexAsync(lab, edge, "wan1");
        var prefix = IPNetwork.Parse("10.99.0.0/16");

        using var socket = NetlinkRouteSocket.Open($"/run/netns/{edge}");

        Assert.Equal(0, socket.Replace(prefix, IPAddress.Parse("10.240.1.2"), index));
        Assert.Equal(["10.99.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, edge, "main"));

        // Replace, not add: the same prefix moves to another next hop in one step.
        Assert.Equal(0, socket.Replace(prefix, IPAddress.Parse("10.240.1.3"), index));
        Assert.Equal(["10.99.0.0/16 via 10.240.1.3 dev wan1"], await OurRoutesAsync(lab, edge, "main"));

        // A dedicated table.
        Assert.Equal(0, socket.Replace(prefix, IPAddress.Parse("10.240.1.2"), index, table: 100));
        Assert.Equal(["10.99.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, edge, "100"));

        // A gateway that is not on the link: the kernel refuses, nothing is installed.
        var refused = socket.Replace(IPNetwork.Parse("10.98.0.0/16"), IPAddress.Parse("10.250.0.1"), index);
        Assert.NotEqual(0, refused);
        output.WriteLine($"off-link gateway refused with errno {refused}");
        Assert.Equal(["10.99.0.0/16 via 10.240.1.3 dev wan1"], await OurRoutesAsync(lab, edge, "main"));

        Assert.Equal(0, socket.Delete(prefix, null, 0));
        Assert.Empty(await OurRoutesAsync(lab, edge, "main"));
        Assert.Equal(3, socket.Delete(prefix, null, 0)); // ESRCH: it is gone
    }

    [LabFact]
    public async Task Applier_RefusedRoutesReportedAndRetried_InstalledTellsTheTruth()
    {
        await using var lab = NetLab.Create(output);
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/24", far, "wan1", "10.240.1.2/24");
        using var applier = new KernelRouteApplier(254, 0, () => NetlinkRouteSocket.Open($"/run/netns/{edge}"));
        var good = new Engine.Routing.RouteEntry(IPNetwork.Parse("10.99.0.0/16"), "1", "p1", "wan1", IPAddress.Parse("10.240.1.2"), null);
        var offLink = new Engine.Routing.RouteEntry(IPNetwork.Parse("10.98.0.0/16"), "2", "p2", "wan2", IPAddress.Parse("10.250.0.1"), null);

        var failures = applier.Sync(new Engine.Routing.RouteTable([good, offLink]));

        var failure = Assert.Single(failures);
        Assert.Equal(offLink, failure.Route);
        Assert.Contains("ENETUNREACH", failure.Error, StringComparison.Ordinal);
        Assert.Equal([good.Prefix], applier.Installed.Keys);
        Assert.Equal(["10.99.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, edge, "main"));

        // The operator fixes the link (a gateway on it): the next sync installs it; the dropped prefix goes.
        var fixedRoute = offLink with { Gateway = IPAddress.Parse("10.240.1.2") };
        Assert.Empty(applier.Sync(new Engine.Routing.RouteTable([fixedRoute])));
        Assert.Equal([fixedRoute.Prefix], applier.Installed.Keys);
        Assert.Equal(["10.98.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, edge, "main"));
    }

    [LabFact]
    public async Task Applier_FirstSync_SweepsOurStaleRoutesInOurTableOnly()
    {
        await using var lab = NetLab.Create(output);
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/24", far, "wan1", "10.240.1.2/24");
        await PlantAsync(lab, edge);
        using var applier = new KernelRouteApplier(254, 0, () => NetlinkRouteSocket.Open($"/run/netns/{edge}"));
        var wanted = new Engine.Routing.RouteEntry(IPNetwork.Parse("10.99.0.0/16"), "1", "p1", "wan1", IPAddress.Parse("10.240.1.2"), null);

        Assert.Empty(applier.Sync(new Engine.Routing.RouteTable([wanted])));

        // Left by "an earlier run": 10.97/16 and fd00:97::/48 (not wanted) and 10.96/16 (metric 50)
        // are deleted; 10.99/16 (wanted) is replaced in place with the new next hop.
        Assert.Equal(3, applier.Swept);
        Assert.Equal(["10.99.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, edge, "main"));
        Assert.Empty(await OurRoutesAsync(lab, edge, "main", ipv6: true));
        await AssertForeignRoutesStayAsync(lab, edge);

        // Only the first sync sweeps: what another program adds with our protocol later is its own business.
        await lab.MustExecAsync(edge, "ip", "route", "add", "10.93.0.0/16", "via", "10.240.1.2", "proto", "250");
        Assert.Empty(applier.Sync(new Engine.Routing.RouteTable([wanted])));
        Assert.Equal(3, applier.Swept);
    }

    [LabFact]
    public async Task Serve_Start_SweepsOurStaleRoutesAndLeavesForeignOnes()
    {
        await using var lab = NetLab.Create(output);
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/24", far, "wan1", "10.240.1.2/24");
        await PlantAsync(lab, edge);
        Assert.Equal(3, (await OurRoutesAsync(lab, edge, "main")).Count);

        var config = new
        {
            Sites = new[] { new { Id = "edge" } },
            Links = new[] { new { Id = "wan1", Site = "edge", Interface = "wan1", SourceAddress = "10.240.1.1", Gateway = "10.240.1.2" } },
            Paths = new[] { new { Id = "p1", Link = "wan1", Targets = new[] { "10.240.1.2" } } },
        };
        var serve = await PatronusEdge.StartAsync(lab, edge, config);

        // No policy: nothing of ours is wanted, so the first sync deletes every route an earlier run left.
        var deadline = TimeSpan.FromSeconds(15);
        var gone = await Poll.UntilAsync(async () => (await OurRoutesAsync(lab, edge, "main")).Count == 0 && (await OurRoutesAsync(lab, edge, "main", ipv6: true)).Count == 0, deadline);
        Assert.True(gone, $"routes with proto 250 still in the main table {deadline.TotalSeconds} s after serve was ready: {string.Join(", ", await OurRoutesAsync(lab, edge, "main"))}\n{serve.Process.Describe()}");
        await AssertForeignRoutesStayAsync(lab, edge);
    }

    // Ours (proto 250, main table): two IPv4 with the applier's metric 0, one with metric 50, one
    // IPv6 on-link. Foreign: proto static in main, and proto 250 in another table (100).
    private static async Task PlantAsync(NetLab lab, string ns)
    {
        await lab.MustExecAsync(ns, "ip", "route", "add", "10.99.0.0/16", "via", "10.240.1.3", "proto", "250");
        await lab.MustExecAsync(ns, "ip", "route", "add", "10.97.0.0/16", "via", "10.240.1.2", "proto", "250");
        await lab.MustExecAsync(ns, "ip", "route", "add", "10.96.0.0/16", "via", "10.240.1.2", "proto", "250", "metric", "50");
        await lab.MustExecAsync(ns, "ip", "-6", "route", "add", "fd00:97::/48", "dev", "wan1", "proto", "250");
        await lab.MustExecAsync(ns, "ip", "route", "add", "10.95.0.0/16", "via", "10.240.1.2", "proto", "static");
        await lab.MustExecAsync(ns, "ip", "route", "add", "10.94.0.0/16", "via", "10.240.1.2", "proto", "250", "table", "100");
    }

    private static async Task AssertForeignRoutesStayAsync(NetLab lab, string ns)
    {
        var main = await lab.MustExecAsync(ns, "ip", "route", "show", "10.95.0.0/16", "proto", "static");
        Assert.Contains("10.95.0.0/16 via 10.240.1.2", main.Stdout, StringComparison.Ordinal);
        Assert.Equal(["10.94.0.0/16 via 10.240.1.2 dev wan1"], await OurRoutesAsync(lab, ns, "100"));
    }

    private static async Task<int> InterfaceIndexAsync(NetLab lab, string ns, string name)
    {
        var result = await lab.MustExecAsync(ns, "ip", "-j", "link", "show", "dev", name);
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement[0].GetProperty("ifindex").GetInt32();
    }

    /// <summary>Routes with our protocol number, as "dst via gw dev if".</summary>
    private static async Task<List<string>> OurRoutesAsync(NetLab lab, string ns, string table, bool ipv6 = false)
    {
        var result = await lab.MustExecAsync(ns, "ip", ipv6 ? "-6" : "-4", "-j", "route", "show", "table", table, "proto", RouteMessage.Protocol.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.Stdout) ? "[]" : result.Stdout);
        return doc.RootElement.EnumerateArray()
            .Select(r => $"{r.GetProperty("dst").GetString()} via {(r.TryGetProperty("gateway", out var gateway) ? gateway.GetString() : "-")} dev {r.GetProperty("dev").GetString()}")
            .ToList();
    }
}
