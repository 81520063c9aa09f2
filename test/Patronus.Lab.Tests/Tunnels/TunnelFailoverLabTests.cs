using System.Globalization;
using Patronus.Engine.Tunnels;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Tunnels;

/// <summary>
/// Two Patronus sites with two WAN links each (issue 15's failover lab): each edge namespace runs
/// <c>patronus serve</c> with a tunnel to the other whose peer has one endpoint per path, and a
/// LAN host behind it. Each path runs BFD at 50 ms × 3 to the other edge, and a failover policy
/// (primary p1 over wan1, backup p2 over wan2) covers the remote LAN, which is also the peer's
/// allowed prefix: the tunnel routes it into ptun0 itself (no manual route), failover leaves that
/// route alone, and the policy steers the tunnel's datagrams.
/// <code>
///  ha eth0 .23.2 ── lan .23.1  sa   wan1 .21.1 ──── .21.2 wan1  sb  lan .24.1 ── .24.2 eth0 hb
///                                   wan2 .22.1 ──── .22.2 wan2
/// </code>
/// (all 10.241.x.y; tunnel 10.250.21.1 and .2). The LAN host of a pings the LAN host of b every
/// 10 ms; wan1 is cut (link down at a); the longest gap between replies is what the failover cost.
/// </summary>
public sealed class TunnelFailoverLabTests(ITestOutputHelper output)
{
    /// <summary>Issue 15's bar: BFD's 150 ms detection, the decision, the steering, slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan s_gapBound = TimeSpan.FromMilliseconds(300);

    [LabFact]
    public async Task TwoSitesTwoWans_Wan1Cut_TunnelTrafficMovesToWan2WithinBfdGap()
    {
        await using var lab = NetLab.Create(output);
        var (siteA, siteB, hostA, _) = await AddNamespacesAsync(lab);
        var keyA = TunnelKeys.GeneratePrivateKey();
        var keyB = TunnelKeys.GeneratePrivateKey();

        var edgeA = await StartSiteAsync(lab, siteA, new Site("a", keyA, keyB, "10.241.21.1", "10.241.22.1", "10.250.21.1", "10.241.24.0/24"),
            new Site("b", keyB, keyA, "10.241.21.2", "10.241.22.2", "10.250.21.2", "10.241.23.0/24"));
        var edgeB = await StartSiteAsync(lab, siteB, new Site("b", keyB, keyA, "10.241.21.2", "10.241.22.2", "10.250.21.2", "10.241.23.0/24"),
            new Site("a", keyA, keyB, "10.241.21.1", "10.241.22.1", "10.250.21.1", "10.241.24.0/24"));

        // Steady: both sessions Up on both sides, both policies on p1, replies flowing.
        foreach (var edge in new[] { edgeA, edgeB })
        {
            foreach (var path in new[] { "p1", "p2" })
            {
                await edge.WaitForAsync(BfdJson.SessionPath(path), s => BfdJson.State(s) == "up", TimeSpan.FromSeconds(20), $"{edge.Namespace} {path} BFD up");
            }

            await edge.WaitForAsync("/api/v1/failover/policies", p => FailoverJson.ActivePath(p) == "p1", TimeSpan.FromSeconds(20), $"{edge.Namespace} policy on p1");
        }

        using var ping = PingMonitor.Start(lab, hostA, "10.241.24.2");
        await ping.WaitFlowingAsync(TimeSpan.FromSeconds(15), "LAN a → LAN b through the tunnel", lab.Diagnostics);

        // Before the cut the pings' datagrams leave on p1 (wan1): p1 sends 20 more while p2 sends
        // (almost) none. The window is as long as those 20 packets take, not a fixed sleep.
        var before = await PathTxAsync(edgeA);
        var onP1 = before;
        await Poll.AssertAsync(async () => (onP1 = await PathTxAsync(edgeA)).P1 > before.P1 + 20, TimeSpan.FromSeconds(2),
            $"tunnel traffic is not on p1 before the cut\n{lab.Diagnostics()}");
        var wan2Idle = onP1.P2 - before.P2;

        // Cut right after a reply: on a loaded machine ping stalls now and then, and a stall just
        // before the cut would count in the gap (measured from the last reply before the cut).
        await Poll.AssertAsync(() => ping.LastAtOrBefore(DateTimeOffset.UtcNow) is { } last && DateTimeOffset.UtcNow - last <= TimeSpan.FromMilliseconds(30),
            TimeSpan.FromSeconds(3), $"no fresh ping reply before the cut\n{lab.Diagnostics()}");

        var cutAt = DateTimeOffset.UtcNow;
        await lab.MustExecAsync(siteA, "ip", "link", "set", "wan1", "down");
        await edgeA.WaitForAsync("/api/v1/failover/policies", p => FailoverJson.ActivePath(p) == "p2", TimeSpan.FromSeconds(5), "a's policy on p2");
        await ping.WaitFlowingAsync(TimeSpan.FromSeconds(3), "after the cut", lab.Diagnostics);
        await Poll.AssertAsync(() => ping.LastAtOrBefore(DateTimeOffset.UtcNow) is { } newest && newest >= cutAt + TimeSpan.FromMilliseconds(500),
            TimeSpan.FromSeconds(3), $"no ping reply 500 ms after the cut\n{lab.Diagnostics()}");

        var lastBefore = ping.LastAtOrBefore(cutAt);
        Assert.True(lastBefore is { } l && cutAt - l <= TimeSpan.FromSeconds(1), $"no ping reply in the second before the cut\n{lab.Diagnostics()}");
        var gap = ping.LongestGap(lastBefore.Value, DateTimeOffset.UtcNow);

        // After it they leave on p2 (wan2): 20 more within 2 s.
        var after = await PathTxAsync(edgeA);
        var moved = await Poll.UntilAsync(async () => (await PathTxAsync(edgeA)).P2 > after.P2 + 20, TimeSpan.FromSeconds(2));
        var route = (await lab.MustExecAsync(siteA, "ip", "route", "show", "10.241.24.0/24")).Stdout.Trim();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wan1 cut: longest ping gap {gap.Length.TotalMilliseconds:0} ms (replies at {(gap.From - cutAt).TotalMilliseconds:0} and {(gap.To - cutAt).TotalMilliseconds:0} ms from the cut); " +
            $"p2 sent {wan2Idle} while p1 sent {onP1.P1 - before.P1} before; route to LAN b: {route}"));

        // When each side decided (the gap needs both: a's requests and b's replies move).
        foreach (var edge in new[] { edgeA, edgeB })
        {
            var events = FailoverJson.Events(await edge.WaitForAsync(FailoverJson.EventsSince(cutAt - TimeSpan.FromSeconds(1)),
                b => FailoverJson.Events(b).Any(e => e.Type == "triggered" && e.Timestamp >= cutAt), TimeSpan.FromSeconds(5), $"{edge.Namespace} failover event"));
            var triggered = events.First(e => e.Type == "triggered" && e.Timestamp >= cutAt);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{edge.Namespace}: failover decided {(triggered.Timestamp - cutAt).TotalMilliseconds:0} ms after the cut: {triggered}"));
        }

        // The API and the metrics say where the tunnel's traffic went, and show no secret.
        var tunnels = await edgeA.WaitForAsync("/api/v1/tunnels", t => t.GetProperty("tunnels")[0].GetProperty("peers")[0].GetProperty("active_path_id").GetString() == "p2",
            TimeSpan.FromSeconds(5), "a's peer on p2 in /api/v1/tunnels");
        var peer = tunnels.GetProperty("tunnels")[0].GetProperty("peers")[0];
        output.WriteLine($"/api/v1/tunnels peer: {peer}");
        var paths = peer.GetProperty("paths").EnumerateArray().ToDictionary(p => p.GetProperty("path_id").GetString()!);
        Assert.True(paths["p1"].GetProperty("tx_packets").GetInt64() > 0 && paths["p2"].GetProperty("tx_packets").GetInt64() > 0, peer.ToString());
        Assert.True(paths["p2"].GetProperty("rx_packets").GetInt64() > 0, peer.ToString());
        Assert.True(peer.GetProperty("path_switches").GetInt64() >= 1, peer.ToString());
        Assert.DoesNotContain(keyA, tunnels.ToString(), StringComparison.Ordinal);
        var scrape = await edgeA.TryGetTextAsync("/metrics") ?? "";
        Assert.Contains("patronus_tunnel_path_active{tunnel=\"ptun0\",peer=\"b\",path_id=\"p2\"} 1", scrape, StringComparison.Ordinal);

        Assert.True(gap.Length <= s_gapBound, $"longest ping gap {gap.Length.TotalMilliseconds:0} ms > {s_gapBound.TotalMilliseconds} ms\n{lab.Diagnostics()}");
        Assert.Equal("10.241.24.0/24 dev ptun0 proto 251 scope link", route); // the tunnel's own route: failover changed no kernel route
        Assert.True(wan2Idle <= 2, $"p2 carried {wan2Idle} tunnel datagrams before the cut\n{lab.Diagnostics()}");
        Assert.True(moved, $"tunnel traffic did not move to p2 (wan2) within 2 s\n{lab.Diagnostics()}");
    }

    /// <summary>Tunnel datagrams site a's peer sent on p1 and on p2 so far (/api/v1/tunnels).</summary>
    private static async Task<(long P1, long P2)> PathTxAsync(PatronusEdge edge)
    {
        var tunnels = await edge.TryGetJsonAsync("/api/v1/tunnels");
        if (tunnels is not { } json)
        {
            return (0, 0);
        }

        var paths = json.GetProperty("tunnels")[0].GetProperty("peers")[0].GetProperty("paths").EnumerateArray()
            .ToDictionary(p => p.GetProperty("path_id").GetString()!, p => p.GetProperty("tx_packets").GetInt64());
        return (paths.GetValueOrDefault("p1"), paths.GetValueOrDefault("p2"));
    }

    /// <summary>The lab's four namespaces (the two sites, their LAN hosts) and links of the diagram above.</summary>
    internal static async Task<(string SiteA, string SiteB, string HostA, string HostB)> AddNamespacesAsync(NetLab lab)
    {
        var siteA = await lab.AddNamespaceAsync("sa");
        var siteB = await lab.AddNamespaceAsync("sb");
        var hostA = await lab.AddNamespaceAsync("ha");
        var hostB = await lab.AddNamespaceAsync("hb");
        await lab.AddVethAsync(siteA, "wan1", "10.241.21.1/24", siteB, "wan1", "10.241.21.2/24");
        await lab.AddVethAsync(siteA, "wan2", "10.241.22.1/24", siteB, "wan2", "10.241.22.2/24");
        await lab.AddVethAsync(siteA, "lan", "10.241.23.1/24", hostA, "eth0", "10.241.23.2/24");
        await lab.AddVethAsync(siteB, "lan", "10.241.24.1/24", hostB, "eth0", "10.241.24.2/24");
        await lab.MustExecAsync(hostA, "ip", "route", "add", "default", "via", "10.241.23.1");
        await lab.MustExecAsync(hostB, "ip", "route", "add", "default", "via", "10.241.24.1");
        return (siteA, siteB, hostA, hostB);
    }

    /// <summary>
    /// Starts site <paramref name="self"/> of the two-site, two-WAN lab in <paramref name="ns"/>
    /// (BFD on both paths, the failover policy, the tunnel to <paramref name="remote"/>);
    /// <paramref name="patronus"/> sets <c>Patronus: true</c> on its peer and <paramref name="trafficClasses"/>
    /// is the <c>TrafficClasses</c> list (TunnelSdwanLabTests); <paramref name="bfdIntervalMs"/> the BFD
    /// intervals (50 ms; a test that must not see a BFD flap on a loaded machine asks for more).
    /// </summary>
    internal static async Task<PatronusEdge> StartSiteAsync(NetLab lab, string ns, Site self, Site remote, bool patronus = false, object? trafficClasses = null,
        int bfdIntervalMs = 50)
    {
        Assert.True(TunnelKeys.TryPublicKey(remote.PrivateKey, out var remotePublic));
        object Bfd(string peer) => new { Peer = peer, DesiredMinTxMs = bfdIntervalMs, RequiredMinRxMs = bfdIntervalMs, DetectMultiplier = 3 };
        var config = new
        {
            Sites = new[] { new { Id = self.Id } },
            Links = new[]
            {
                new { Id = "wan1", Site = self.Id, Interface = "wan1", SourceAddress = self.Wan1, Cost = 10 },
                new { Id = "wan2", Site = self.Id, Interface = "wan2", SourceAddress = self.Wan2, Cost = 20 },
            },
            Paths = new[]
            {
                new { Id = "p1", Link = "wan1", Probe = "icmp", Targets = new[] { remote.Wan1 }, Bfd = Bfd(remote.Wan1) },
                new { Id = "p2", Link = "wan2", Probe = "icmp", Targets = new[] { remote.Wan2 }, Bfd = Bfd(remote.Wan2) },
            },
            // Kernel routes stay on (the default): the policy's prefix is inside the peer's AllowedIps,
            // so failover leaves its route in ptun0 (CarriedPrefixes); a WAN route would replace it.
            FailoverPolicies = new[]
            {
                new { Name = "to-" + remote.Id, Primary = "p1", Backups = new[] { "p2" }, FailbackDelaySecs = 5, Prefixes = new[] { self.RemoteLan } },
            },
            TrafficClasses = trafficClasses,
            Tunnels = new
            {
                Enabled = true,
                Addresses = new[] { $"{self.Tunnel}/24" },
                PrivateKey = self.PrivateKey,
                Peers = new[]
                {
                    new
                    {
                        Name = remote.Id,
                        PublicKey = remotePublic,
                        AllowedIps = new[] { $"{remote.Tunnel}/32", self.RemoteLan },
                        Endpoints = new Dictionary<string, string> { ["p1"] = $"{remote.Wan1}:51820", ["p2"] = $"{remote.Wan2}:51820" },
                        PersistentKeepalive = 25,
                        Patronus = patronus,
                    },
                },
            },
        };
        var edge = await PatronusEdge.StartAsync(lab, ns, config);
        Assert.True(
            await Poll.UntilAsync(
                async () => (await lab.ExecAsync(ns, "ip", "-o", "addr", "show", "dev", "ptun0")).Stdout.Contains(self.Tunnel, StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(50)),
            $"site {self.Id}: ptun0 did not come up\n{lab.Diagnostics()}");
        await lab.MustExecAsync(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        return edge;
    }

    /// <summary>A site: its id and key, its WAN addresses, its tunnel address, and the LAN of the other site.</summary>
    internal sealed record Site(string Id, string PrivateKey, string PeerPrivateKey, string Wan1, string Wan2, string Tunnel, string RemoteLan);
}
