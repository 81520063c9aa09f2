using System.Globalization;
using System.Text.Json;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// The failover lab: a LAN host behind the edge (which runs serve), two WAN routers that masquerade
/// the LAN prefix, a remote site (STAMP reflector, FRR bfdd) and a server behind it; every link a
/// veth pair, every box a namespace <c>pl-&lt;hex&gt;-role</c>:
/// <code>
///  lan              edge (serve)           wan1 / wan2 router (NAT)   remote (reflector, bfdd)   server
///  eth0 .10.2/24 ── lan0 .10.1/24
///                   wan1 .1.1/30  ──────── edge0 .1.2/30   [wan1]
///                                          remote0 .11.1/30 ───────── wan1 .11.2/30
///                   wan2 .2.1/30  ──────── edge0 .2.2/30   [wan2]
///                                          remote0 .12.1/30 ───────── wan2 .12.2/30
///                                                                     srv0 .20.1/24 ──────────── eth0 .20.2/24
/// </code>
/// (all 10.240.x.y). Paths: p1 over wan1 (STAMP to 10.240.11.2:862, optional multihop BFD to
/// 10.240.11.2), p2 over wan2 (10.240.12.2). The edge reaches the remote's addresses through host
/// routes via each WAN router; the policy's prefix 10.240.20.0/24 is routed by Patronus alone
/// (protocol <see cref="RouteMessage.Protocol"/>, 250). The WAN routers masquerade only
/// 10.240.10.0/24, so a flow's replies come back through the router it left by, and probes and
/// BFD keep their real source addresses (FRR's multihop peers name them). The edge has an
/// nftables table <c>inet cut</c> with chains in, out and transit (input, output, forward hooks)
/// for the tests' drop and loss rules on wan1.
/// </summary>
public sealed class WanLab : IAsyncDisposable
{
    /// <summary>The server behind the remote site: what the LAN host pings.</summary>
    public const string Server = "10.240.20.2";

    /// <summary>The prefix the failover policy steers.</summary>
    public const string Prefix = "10.240.20.0/24";

    /// <summary>The route Patronus installs while p1 (wan1) is active, as <see cref="PolicyRouteAsync"/> shows it.</summary>
    public const string RouteViaWan1 = "10.240.20.0/24 via 10.240.1.2 dev wan1";

    /// <summary>The route while p2 (wan2) is active.</summary>
    public const string RouteViaWan2 = "10.240.20.0/24 via 10.240.2.2 dev wan2";

    /// <summary>BFD at 50 ms × 3: a 150 ms detection time, both ways.</summary>
    public const int BfdIntervalMs = 50;

    public const int BfdMultiplier = 3;

    /// <summary>The failback delay of the lab's policy (the product's default is 60 s).</summary>
    public static readonly TimeSpan FailbackDelay = TimeSpan.FromSeconds(5);

    // Drop everything to, from and through the edge's wan1, in one transaction.
    private const string DropAllWan1 =
        """add rule inet cut in iifname "wan1" drop; add rule inet cut out oifname "wan1" drop; """ +
        """add rule inet cut transit iifname "wan1" drop; add rule inet cut transit oifname "wan1" drop""";

    private const string FlushCut = "flush chain inet cut in; flush chain inet cut out; flush chain inet cut transit";

    private WanLab(NetLab lab, string lan, string edge, string wan1, string wan2, string remote)
    {
        Lab = lab;
        Lan = lan;
        Edge = edge;
        Wan1Router = wan1;
        Wan2Router = wan2;
        Remote = remote;
    }

    public NetLab Lab { get; }

    public string Lan { get; }

    public string Edge { get; }

    public string Wan1Router { get; }

    public string Wan2Router { get; }

    public string Remote { get; }

    /// <summary>FRR bfdd in the remote namespace (only when built with BFD).</summary>
    public FrrBfdd? Frr { get; private set; }

    /// <summary>Creates the six namespaces and their links, routes, NAT and filter table, starts the reflector (and bfdd when <paramref name="bfd"/>).</summary>
    public static async Task<WanLab> BuildAsync(NetLab lab, bool bfd)
    {
        var lan = await lab.AddNamespaceAsync("lan");
        var edge = await lab.AddNamespaceAsync("edge");
        var wan1 = await lab.AddNamespaceAsync("wan1");
        var wan2 = await lab.AddNamespaceAsync("wan2");
        var remote = await lab.AddNamespaceAsync("remote");
        var server = await lab.AddNamespaceAsync("server");

        await lab.AddVethAsync(lan, "eth0", "10.240.10.2/24", edge, "lan0", "10.240.10.1/24");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/30", wan1, "edge0", "10.240.1.2/30");
        await lab.AddVethAsync(edge, "wan2", "10.240.2.1/30", wan2, "edge0", "10.240.2.2/30");
        await lab.AddVethAsync(wan1, "remote0", "10.240.11.1/30", remote, "wan1", "10.240.11.2/30");
        await lab.AddVethAsync(wan2, "remote0", "10.240.12.1/30", remote, "wan2", "10.240.12.2/30");
        await lab.AddVethAsync(remote, "srv0", "10.240.20.1/24", server, "eth0", "10.240.20.2/24");

        foreach (var ns in new[] { edge, wan1, wan2, remote })
        {
            await lab.MustExecAsync(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        }

        await lab.MustExecAsync(lan, "ip", "route", "add", "default", "via", "10.240.10.1");
        await lab.MustExecAsync(server, "ip", "route", "add", "default", "via", "10.240.20.1");
        await lab.MustExecAsync(remote, "ip", "route", "add", "10.240.1.0/30", "via", "10.240.11.1");
        await lab.MustExecAsync(remote, "ip", "route", "add", "10.240.2.0/30", "via", "10.240.12.1");
        await lab.MustExecAsync(edge, "ip", "route", "add", "10.240.11.2/32", "via", "10.240.1.2", "dev", "wan1");
        await lab.MustExecAsync(edge, "ip", "route", "add", "10.240.12.2/32", "via", "10.240.2.2", "dev", "wan2");
        foreach (var (router, remoteAddress) in new[] { (wan1, "10.240.11.2"), (wan2, "10.240.12.2") })
        {
            await lab.MustExecAsync(router, "ip", "route", "add", "10.240.20.0/24", "via", remoteAddress);
            await AddRouteToLanAsync(lab, router, router == wan1 ? "10.240.1.1" : "10.240.2.1");
            await lab.NftAsync(router,
                "add table ip nat; " +
                "add chain ip nat post { type nat hook postrouting priority srcnat; policy accept; }; " +
                """add rule ip nat post ip saddr 10.240.10.0/24 oifname "remote0" masquerade""");
        }

        await lab.NftAsync(edge,
            "add table inet cut; " +
            "add chain inet cut in { type filter hook input priority 0; policy accept; }; " +
            "add chain inet cut out { type filter hook output priority 0; policy accept; }; " +
            "add chain inet cut transit { type filter hook forward priority 0; policy accept; }");

        var wanLab = new WanLab(lab, lan, edge, wan1, wan2, remote);
        if (bfd)
        {
            wanLab.Frr = await FrrBfdd.StartAsync(lab, remote,
                new FrrBfdd.Peer("10.240.1.1", "10.240.11.2", BfdMultiplier, BfdIntervalMs, BfdIntervalMs, Multihop: true),
                new FrrBfdd.Peer("10.240.2.1", "10.240.12.2", BfdMultiplier, BfdIntervalMs, BfdIntervalMs, Multihop: true));
        }

        var reflector = lab.StartPatronus(remote, "remote reflector", "reflector", "--listen", "0.0.0.0:862");
        await reflector.WaitForOutputAsync("STAMP reflector listening", TimeSpan.FromSeconds(30));
        return wanLab;
    }

    /// <summary>
    /// The edge's config: links wan1/wan2 with their gateways, STAMP paths p1/p2 (with multihop BFD
    /// at 50 ms × 3 when <paramref name="bfd"/>), flap dampening and kernel routes (main table) at
    /// their defaults, Health at its defaults. No failover policy: <see cref="CreatePolicyAsync"/>
    /// adds it once the lab is steady.
    /// </summary>
    public static object Config(bool bfd) => new
    {
        Sites = new[] { new { Id = "edge" }, new { Id = "remote" } },
        Links = new[]
        {
            new { Id = "wan1", Site = "edge", Interface = "wan1", SourceAddress = "10.240.1.1", Gateway = "10.240.1.2" },
            new { Id = "wan2", Site = "edge", Interface = "wan2", SourceAddress = "10.240.2.1", Gateway = "10.240.2.2" },
        },
        Paths = new[] { PathConfig("p1", "wan1", "10.240.11.2", bfd), PathConfig("p2", "wan2", "10.240.12.2", bfd) },
        Failover = new { FlapMaxSwitches = 3, FlapWindow = "00:05:00", FlapHold = "00:10:00", KernelRoutes = true, RouteTable = 254 },
    };

    /// <summary>
    /// Creates the lab's policy through the API (<c>POST /api/v1/failover/policies</c>): 10.240.20.0/24,
    /// primary p1, backup p2, failover below 50, failback at 80 after 5 s.
    /// <para>
    /// Through the API and only once both paths are steady, not in the config file: a config policy
    /// decides from serve's first second, and two startup effects (reported with issue 5's lab) made
    /// it switch p1 → p2 → p1 before any cut — a BFD session that has not completed its first
    /// handshake counts as "BFD down" (whichever session comes Up first wins), and the cold-start
    /// RTTs of the first probes give a young window a jitter of 70–95 ms (score 5–29). Those two
    /// switches count towards flap dampening (3 in 5 minutes), so the failback after a real outage
    /// was then held for 10 minutes.
    /// </para>
    /// </summary>
    public async Task CreatePolicyAsync()
    {
        var body = JsonSerializer.Serialize(new
        {
            name = "to-server",
            primary_path_id = "p1",
            backup_path_ids = new[] { "p2" },
            failover_threshold = 50,
            failback_threshold = 80,
            failback_delay_secs = FailbackDelay.TotalSeconds,
            enabled = true,
            prefixes = new[] { Prefix },
        });
        var result = await Lab.MustExecAsync(Edge, ["curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", "-X", "POST", .. PatronusEdge.AuthArgs(Edge),
            "-H", "Content-Type: application/json", "--data", body, $"http://127.0.0.1:{PatronusEdge.ApiPort}{FailoverJson.PoliciesPath}"]);
        Assert.True(result.Stdout.TrimEnd().EndsWith("201", StringComparison.Ordinal), $"creating the policy: {result}");
    }

    private static object PathConfig(string id, string link, string remote, bool bfd) => new
    {
        Id = id,
        Link = link,
        RemoteSite = "remote",
        Probe = "stamp",
        Targets = new[] { $"{remote}:862" },
        Bfd = bfd
            ? new { Peer = remote, Multihop = true, DesiredMinTxMs = BfdIntervalMs, RequiredMinRxMs = BfdIntervalMs, DetectMultiplier = BfdMultiplier, MinTtl = 254 }
            : null,
    };

    /// <summary>Cut by link down: the wan1 router's edge-facing interface goes down (the edge's wan1 loses carrier).</summary>
    public Task CutWan1LinkAsync() => Lab.MustExecAsync(Wan1Router, "ip", "link", "set", "edge0", "down");

    /// <summary>
    /// Undoes <see cref="CutWan1LinkAsync"/>. Taking an interface down deletes the routes through it,
    /// so the router's route back to the LAN is added again.
    /// </summary>
    public async Task RestoreWan1LinkAsync()
    {
        await Lab.MustExecAsync(Wan1Router, "ip", "link", "set", "edge0", "up");
        await AddRouteToLanAsync(Lab, Wan1Router, "10.240.1.1");
    }

    /// <summary>
    /// Cut by firewall: everything the edge receives on, sends on or forwards through wan1 is dropped.
    /// The forward chain matters: the LAN's traffic is forwarded, it never passes input or output.
    /// </summary>
    public Task DropAllOnWan1Async() => Lab.NftAsync(Edge, DropAllWan1);

    /// <summary>Random loss of <paramref name="percent"/> % of the packets in each direction of wan1 (to, from and through the edge).</summary>
    public Task LossOnWan1Async(int percent)
    {
        var drop = $"numgen random mod 100 < {percent} drop";
        return Lab.NftAsync(Edge,
            $"""add rule inet cut in iifname "wan1" {drop}; add rule inet cut out oifname "wan1" {drop}; """ +
            $"""add rule inet cut transit iifname "wan1" {drop}; add rule inet cut transit oifname "wan1" {drop}""");
    }

    /// <summary>Removes every drop and loss rule of the edge.</summary>
    public Task ClearWan1RulesAsync() => Lab.NftAsync(Edge, FlushCut);

    /// <summary>The edge's Patronus route for 10.240.20.0/24 as "dst via gw dev if", or null when there is none.</summary>
    public async Task<string?> PolicyRouteAsync()
    {
        var result = await Lab.MustExecAsync(Edge, "ip", "-j", "route", "show", "table", "main", "proto", RouteMessage.Protocol.ToString(CultureInfo.InvariantCulture));
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.Stdout) ? "[]" : result.Stdout);
        return doc.RootElement.EnumerateArray()
            .Where(r => r.GetProperty("dst").GetString() == Prefix)
            .Select(r => $"{r.GetProperty("dst").GetString()} via {r.GetProperty("gateway").GetString()} dev {r.GetProperty("dev").GetString()}")
            .FirstOrDefault();
    }

    /// <summary>Stops bfdd (the lab kills the rest).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Frr is { } frr)
        {
            await frr.DisposeAsync();
        }
    }

    private static Task<CommandResult> AddRouteToLanAsync(NetLab lab, string router, string edgeAddress) =>
        lab.MustExecAsync(router, "ip", "route", "replace", "10.240.10.0/24", "via", edgeAddress);
}
