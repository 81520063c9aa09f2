using Patronus.Engine.Tunnels;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Tunnels;

/// <summary>
/// Two sites, both Patronus: each edge namespace runs <c>patronus serve</c> with a tunnel to the
/// other over one WAN veth (10.241.17.0/24), and has a LAN host behind it (10.241.18.0/24 at site
/// a, 10.241.19.0/24 at site b). LAN host to LAN host traffic crosses the Patronus tunnel only, on the routes
/// Patronus installs for the peer's allowed prefixes (no manual <c>ip route add</c>).
/// </summary>
public sealed class TunnelSitesLabTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task TwoPatronusSites_LanToLanPingBothWays()
    {
        await using var lab = NetLab.Create(output);
        var siteA = await lab.AddNamespaceAsync("sa");
        var siteB = await lab.AddNamespaceAsync("sb");
        var hostA = await lab.AddNamespaceAsync("ha");
        var hostB = await lab.AddNamespaceAsync("hb");
        await lab.AddVethAsync(siteA, "wan", "10.241.17.1/24", siteB, "wan", "10.241.17.2/24");
        await lab.AddVethAsync(siteA, "lan", "10.241.18.1/24", hostA, "eth0", "10.241.18.2/24");
        await lab.AddVethAsync(siteB, "lan", "10.241.19.1/24", hostB, "eth0", "10.241.19.2/24");
        await lab.MustExecAsync(hostA, "ip", "route", "add", "default", "via", "10.241.18.1");
        await lab.MustExecAsync(hostB, "ip", "route", "add", "default", "via", "10.241.19.1");
        var keyA = TunnelKeys.GeneratePrivateKey();
        var keyB = TunnelKeys.GeneratePrivateKey();

        await StartSiteAsync(lab, siteA, "a", keyA, keyB, "10.241.17.1", "10.250.17.1", remote: ("10.241.17.2", "10.250.17.2", "10.241.19.0/24"));
        await StartSiteAsync(lab, siteB, "b", keyB, keyA, "10.241.17.2", "10.250.17.2", remote: ("10.241.17.1", "10.250.17.1", "10.241.18.0/24"));

        var there = await lab.ExecAsync(hostA, "ping", "-n", "-c", "5", "-i", "0.2", "-W", "2", "10.241.19.2");
        var back = await lab.ExecAsync(hostB, "ping", "-n", "-c", "5", "-i", "0.2", "-W", "2", "10.241.18.2");

        output.WriteLine(there.Stdout);
        output.WriteLine(back.Stdout);
        TunnelInteropLab.AssertNoLoss(there, "LAN a → LAN b", lab);
        TunnelInteropLab.AssertNoLoss(back, "LAN b → LAN a", lab);
    }

    private static async Task StartSiteAsync(
        NetLab lab, string ns, string site, string privateKey, string peerPrivateKey, string wanAddress, string tunnelAddress,
        (string Wan, string Tunnel, string Lan) remote)
    {
        Assert.True(TunnelKeys.TryPublicKey(peerPrivateKey, out var peerPublic));
        var config = new
        {
            Sites = new[] { new { Id = site } },
            Links = new[] { new { Id = "wan", Site = site, Interface = "wan", SourceAddress = wanAddress } },
            Paths = new[] { new { Id = "p", Link = "wan", Probe = "icmp", Targets = new[] { remote.Wan } } },
            Tunnels = new
            {
                Enabled = true,
                Addresses = new[] { $"{tunnelAddress}/24" },
                PrivateKey = privateKey,
                Peers = new[]
                {
                    new { Name = "remote", PublicKey = peerPublic, AllowedIps = new[] { $"{remote.Tunnel}/32", remote.Lan }, Endpoint = $"{remote.Wan}:51820" },
                },
            },
        };
        await PatronusEdge.StartAsync(lab, ns, config);
        Assert.True(
            await Poll.UntilAsync(
                async () => (await lab.ExecAsync(ns, "ip", "-o", "addr", "show", "dev", "ptun0")).Stdout.Contains(tunnelAddress, StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(50)),
            $"site {site}: ptun0 did not come up\n{lab.Diagnostics()}");

        // Patronus routes the remote LAN into the tunnel (proto 251); the peer's tunnel address is
        // inside our own /24, which the interface route covers: no route of its own.
        var routes = "";
        Assert.True(
            await Poll.UntilAsync(
                async () => (routes = (await lab.ExecAsync(ns, "ip", "route", "show", "dev", "ptun0")).Stdout).Contains($"{remote.Lan} proto 251 scope link", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(50)),
            $"site {site}: no route for {remote.Lan} into ptun0:\n{routes}\n{lab.Diagnostics()}");
        Assert.DoesNotContain($"{remote.Tunnel} ", routes, StringComparison.Ordinal);

        // The operator's part (docs/tunnels.md): forwarding on.
        await lab.MustExecAsync(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }
}
