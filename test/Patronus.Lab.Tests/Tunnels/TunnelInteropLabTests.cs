using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Tunnels;

/// <summary>Patronus's tunnel against wireguard-go, the reference user-space WireGuard: handshake and traffic both ways.</summary>
public sealed class TunnelInteropLabTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task PatronusInitiates_PingBothWaysThroughWireguardGo()
    {
        await using var lab = NetLab.Create(output);
        var t = await TunnelInteropLab.StartAsync(lab, patronusKnowsEndpoint: true, wgKnowsEndpoint: false);

        var there = await t.PingAsync(t.PatronusNs, TunnelInteropLab.WgTunnel);
        var back = await t.PingAsync(t.WgNs, TunnelInteropLab.PatronusTunnel);

        TunnelInteropLab.AssertNoLoss(there, "Patronus → wireguard-go", lab);
        TunnelInteropLab.AssertNoLoss(back, "wireguard-go → Patronus", lab);
        Assert.True(await t.WgLatestHandshakeAsync() > 0, "wg show reports no handshake");

        // IPv6 inside the tunnel, both ways (the v6 addresses Patronus set on its TUN, the v6 half of the trie).
        TunnelInteropLab.AssertNoLoss(await t.PingAsync(t.PatronusNs, TunnelInteropLab.WgTunnel6), "IPv6 Patronus → wireguard-go", lab);
        TunnelInteropLab.AssertNoLoss(await t.PingAsync(t.WgNs, TunnelInteropLab.PatronusTunnel6), "IPv6 wireguard-go → Patronus", lab);
        var (received, sent) = await t.WgTransferAsync();
        Assert.True(received > 0 && sent > 0, $"wg transfer: received {received}, sent {sent}");
    }

    [LabFact]
    public async Task WireguardGoInitiates_PingBothWaysThroughPatronus()
    {
        await using var lab = NetLab.Create(output);

        // Patronus has no endpoint for the peer: only wireguard-go can start, and its packets teach Patronus where it is (roaming).
        var t = await TunnelInteropLab.StartAsync(lab, patronusKnowsEndpoint: false, wgKnowsEndpoint: true);

        var there = await t.PingAsync(t.WgNs, TunnelInteropLab.PatronusTunnel);
        var back = await t.PingAsync(t.PatronusNs, TunnelInteropLab.WgTunnel);

        TunnelInteropLab.AssertNoLoss(there, "wireguard-go → Patronus", lab);
        TunnelInteropLab.AssertNoLoss(back, "Patronus → wireguard-go", lab);
        Assert.True(await t.WgLatestHandshakeAsync() > 0, "wg show reports no handshake");
    }

    [LabFact]
    public async Task UnknownPeerKey_NothingThroughAndDropCounted()
    {
        await using var lab = NetLab.Create(output);

        // Patronus expects another key for its peer: wireguard-go's initiations name an unknown static key.
        var t = await TunnelInteropLab.StartAsync(lab, patronusKnowsEndpoint: false, wgKnowsEndpoint: true, wgPeerKey: Engine.Tunnels.TunnelKeys.GeneratePrivateKey());

        var ping = await t.PingAsync(t.WgNs, TunnelInteropLab.PatronusTunnel, count: 3);

        Assert.Contains("100% packet loss", ping.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, await t.WgLatestHandshakeAsync());
        var metrics = await t.Edge.TryGetTextAsync("/metrics");
        Assert.NotNull(metrics);
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("patronus_tunnel_dropped_packets_total{", StringComparison.Ordinal) && l.Contains("reason=\"unknown_peer\"", StringComparison.Ordinal));
        Assert.True(line is not null && double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 1,
            $"no unknown_peer drops counted:\n{string.Join('\n', metrics.Split('\n').Where(l => l.Contains("tunnel", StringComparison.Ordinal)))}");
    }
}
