using Patronus.Engine.Tunnels;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Tunnels;

/// <summary>
/// Two namespaces on one veth (10.241.15.0/24): <c>patronus serve</c> with a tunnel in one, the
/// Debian wireguard-go with <c>wg</c> in the other; tunnel addresses 10.250.15.1 (Patronus) and
/// 10.250.15.2 (wireguard-go). wireguard-go's UAPI socket (/var/run/wireguard/NAME.sock) is shared
/// by every namespace, so its interface is named after the lab's prefix.
/// </summary>
internal sealed class TunnelInteropLab
{
    public const string PatronusUnderlay = "10.241.15.1";
    public const string WgUnderlay = "10.241.15.2";
    public const string PatronusTunnel = "10.250.15.1";
    public const string WgTunnel = "10.250.15.2";
    public const string PatronusTunnel6 = "fd00:250:15::1";
    public const string WgTunnel6 = "fd00:250:15::2";
    public const int PatronusPort = 51820;
    public const int WgPort = 51821;
    public const string PatronusInterface = "ptun0";
    public const string ExtraPeerTunnel = "10.250.15.3";

    private TunnelInteropLab(NetLab lab, string patronusNs, string wgNs, string wgInterface, PatronusEdge edge, string patronusPublicKey, string wgPublicKey)
    {
        Lab = lab;
        PatronusNs = patronusNs;
        WgNs = wgNs;
        WgInterface = wgInterface;
        Edge = edge;
        PatronusPublicKey = patronusPublicKey;
        WgPublicKey = wgPublicKey;
    }

    public NetLab Lab { get; }

    public string PatronusNs { get; }

    public string WgNs { get; }

    public string WgInterface { get; }

    public PatronusEdge Edge { get; }

    public string PatronusPublicKey { get; }

    public string WgPublicKey { get; }

    /// <summary>
    /// Builds the lab. <paramref name="patronusKnowsEndpoint"/>: Patronus has wireguard-go's
    /// endpoint (it can initiate); <paramref name="wgKnowsEndpoint"/>: wireguard-go has Patronus's.
    /// <paramref name="wgPeerKey"/> replaces the key Patronus expects of its peer (a wrong key).
    /// <paramref name="extraPeerKey"/>: a second peer of Patronus ("extra", allowed
    /// <see cref="ExtraPeerTunnel"/>, no endpoint), e.g. a fuzzer that handshakes as that peer.
    /// </summary>
    public static async Task<TunnelInteropLab> StartAsync(NetLab lab, bool patronusKnowsEndpoint, bool wgKnowsEndpoint, string? wgPeerKey = null, string? extraPeerKey = null)
    {
        var patronusNs = await lab.AddNamespaceAsync("tp");
        var wgNs = await lab.AddNamespaceAsync("tw");
        await lab.AddVethAsync(patronusNs, "vp", $"{PatronusUnderlay}/24", wgNs, "vw", $"{WgUnderlay}/24");

        var dir = lab.CreateTempDirectory("wg");
        var wgPrivate = (await Shell.MustRunAsync("wg", ["genkey"])).Stdout.Trim();
        var wgPublic = (await Shell.MustRunAsync("sh", ["-c", "printf '%s\\n' \"$0\" | wg pubkey", wgPrivate])).Stdout.Trim();
        var keyFile = Path.Combine(dir, "wg.key");
        await File.WriteAllTextAsync(keyFile, wgPrivate + "\n");
        var patronusPrivate = TunnelKeys.GeneratePrivateKey();
        Assert.True(TunnelKeys.TryPublicKey(patronusPrivate, out var patronusPublic));

        // wireguard-go in the foreground (killed with the lab), then configured through wg.
        var wgInterface = $"wg{lab.Prefix[3..]}";
        lab.Start(wgNs, "wireguard-go", ["wireguard-go", "-f", wgInterface]);
        Assert.True(
            await Poll.UntilAsync(async () => (await lab.ExecAsync(wgNs, "wg", "show", wgInterface)).Succeeded, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)),
            $"wireguard-go did not create {wgInterface}\n{lab.Diagnostics()}");
        string[] endpoint = wgKnowsEndpoint ? ["endpoint", $"{PatronusUnderlay}:{PatronusPort}"] : [];
        await lab.MustExecAsync(wgNs, ["wg", "set", wgInterface, "private-key", keyFile, "listen-port", $"{WgPort}",
            "peer", patronusPublic, "allowed-ips", $"{PatronusTunnel}/32,{PatronusTunnel6}/128", .. endpoint]);
        await lab.MustExecAsync(wgNs, "ip", "addr", "add", $"{WgTunnel}/24", "dev", wgInterface);
        await lab.MustExecAsync(wgNs, "ip", "-6", "addr", "add", $"{WgTunnel6}/64", "dev", wgInterface, "nodad");
        await lab.MustExecAsync(wgNs, "ip", "link", "set", wgInterface, "up");

        var config = new
        {
            Sites = new[] { new { Id = "edge" } },
            Links = new[] { new { Id = "wan", Site = "edge", Interface = "vp", SourceAddress = PatronusUnderlay } },
            Paths = new[] { new { Id = "p", Link = "wan", Probe = "icmp", Targets = new[] { WgUnderlay } } },
            Tunnels = new
            {
                Enabled = true,
                InterfaceName = PatronusInterface,
                Addresses = new[] { $"{PatronusTunnel}/24", $"{PatronusTunnel6}/64" },
                ListenPort = PatronusPort,
                PrivateKey = patronusPrivate,
                Peers = new[]
                {
                    new
                    {
                        Name = "wg",
                        PublicKey = wgPeerKey ?? wgPublic,
                        AllowedIps = new[] { $"{WgTunnel}/32", $"{WgTunnel6}/128" },
                        Endpoint = patronusKnowsEndpoint ? $"{WgUnderlay}:{WgPort}" : null,
                    },
                    new { Name = "extra", PublicKey = extraPeerKey!, AllowedIps = new[] { $"{ExtraPeerTunnel}/32" }, Endpoint = (string?)null },
                }.Where(p => p.PublicKey is not null).ToArray(),
            },
        };
        var edge = await PatronusEdge.StartAsync(lab, patronusNs, config);
        Assert.True(
            await Poll.UntilAsync(
                async () => (await lab.ExecAsync(patronusNs, "ip", "-o", "addr", "show", "dev", PatronusInterface)).Stdout.Contains(PatronusTunnel, StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(50)),
            $"Patronus did not bring {PatronusInterface} up with {PatronusTunnel}\n{lab.Diagnostics()}");
        // The IPv6 address is usable once duplicate address detection on the TUN is over.
        Assert.True(
            await Poll.UntilAsync(
                async () => (await lab.ExecAsync(patronusNs, "ip", "-6", "-o", "addr", "show", "dev", PatronusInterface, "tentative")).Stdout.Length == 0,
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(50)),
            $"{PatronusTunnel6} stayed tentative\n{lab.Diagnostics()}");
        return new TunnelInteropLab(lab, patronusNs, wgNs, wgInterface, edge, patronusPublic, wgPublic);
    }

    /// <summary>The "N packets transmitted, N received" summary must show no loss.</summary>
    public static void AssertNoLoss(CommandResult ping, string what, NetLab lab) =>
        Assert.True(ping.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal), $"{what}:\n{ping.Stdout}{ping.Stderr}\n{lab.Diagnostics()}");

    /// <summary>Pings <paramref name="address"/> from <paramref name="ns"/>: <paramref name="count"/> echoes 200 ms apart, 2 s wait each.</summary>
    public Task<CommandResult> PingAsync(string ns, string address, int count = 5) =>
        Lab.ExecAsync(ns, "ping", "-n", "-c", $"{count}", "-i", "0.2", "-W", "2", address);

    /// <summary>wireguard-go's last handshake with Patronus (Unix seconds, 0 = never), from <c>wg show … latest-handshakes</c>.</summary>
    public async Task<long> WgLatestHandshakeAsync()
    {
        var result = await Lab.MustExecAsync(WgNs, "wg", "show", WgInterface, "latest-handshakes");
        var fields = result.Stdout.Split(['\t', '\n', ' '], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 ? long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>wireguard-go's transfer counters for Patronus (received, sent octets).</summary>
    public async Task<(long Received, long Sent)> WgTransferAsync()
    {
        var result = await Lab.MustExecAsync(WgNs, "wg", "show", WgInterface, "transfer");
        var fields = result.Stdout.Split(['\t', '\n', ' '], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3
            ? (long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture))
            : (0, 0);
    }
}
