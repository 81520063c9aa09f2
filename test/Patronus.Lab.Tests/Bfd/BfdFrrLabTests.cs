using System.Globalization;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Bfd;

/// <summary>
/// Patronus BFD against FRR's bfdd, single hop over a veth link between two namespaces:
/// <code>
///   edge (patronus serve) wan1 10.240.1.1/30 ──── 10.240.1.2/30 wan1 far (FRR bfdd)
/// </code>
/// </summary>
public sealed class BfdFrrLabTests(ITestOutputHelper output)
{
    /// <summary>The bar: a session Up within this of its opening (FRR sends 1 s apart until it hears us).</summary>
    private static readonly TimeSpan s_upBound = TimeSpan.FromSeconds(3);

    /// <summary>How long the poll waits for Up once serve is ready: a deadline for the wait, not the bar (which is on serve's own stamps).</summary>
    private static readonly TimeSpan s_upWait = TimeSpan.FromSeconds(10);

    private static readonly FrrBfdd.Peer s_frrPeer = new("10.240.1.1", "10.240.1.2", DetectMultiplier: 3, ReceiveMs: 50, TransmitMs: 50);

    private static object Config() => new
    {
        Sites = new[] { new { Id = "edge" } },
        Links = new[] { new { Id = "wan1", Site = "edge", Interface = "wan1", SourceAddress = "10.240.1.1" } },
        Paths = new[]
        {
            new
            {
                Id = "p1", Link = "wan1", Probe = "icmp", Targets = new[] { "10.240.1.2" },
                Bfd = new { Peer = "10.240.1.2", DesiredMinTxMs = 50, RequiredMinRxMs = 50, DetectMultiplier = 3 },
            },
        },
    };

    private static async Task<(NetLab Lab, string Edge, string Far)> BuildAsync(ITestOutputHelper output)
    {
        var lab = NetLab.Create(output);
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, "wan1", "10.240.1.1/30", far, "wan1", "10.240.1.2/30");
        return (lab, edge, far);
    }

    [LabFact]
    public async Task FrrPeer_UpWithin3s_PollFinalAppliesNewTimers_FrrStoppedDetectedWithinDetectionTime()
    {
        var (lab, edgeNs, farNs) = await BuildAsync(output);
        await using var _ = lab;
        await using var frr = await FrrBfdd.StartAsync(lab, farNs, s_frrPeer);
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, Config());

        // Up within 3 s of the session's start, on both sides. Measured on serve's own stamps, from
        // the session's opening (its sockets and state machine, `opened_at`) to its first Up
        // (`last_change`): the handshake against FRR, which sends 1 s apart while Down. Not from
        // before serve was started: on a loaded box the process's own start took the whole 3 s once.
        var up = await edge.WaitForAsync(BfdJson.SessionPath("p1"), s => BfdJson.State(s) == "up", s_upWait, "BFD p1 up");
        var upAt = BfdJson.LastChange(up);
        var handshake = upAt - BfdJson.OpenedAt(up);
        await frr.WaitForPeerAsync("10.240.1.1", p => p.GetProperty("status").GetString() == "up", TimeSpan.FromSeconds(1), "FRR sees the session up");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"up {handshake.TotalSeconds:0.00} s after the session opened ({edge.Uptime.TotalSeconds:0.00} s after starting serve); FRR agrees"));
        Assert.True(handshake >= TimeSpan.Zero && handshake <= s_upBound,
            $"BFD p1 up {handshake.TotalSeconds:0.00} s after the session opened (bound {s_upBound.TotalSeconds} s): {up}");

        // FRR's timers changed at run time: it runs a Poll; we answer with Final and apply the new values.
        await frr.ConfigurePeerAsync(s_frrPeer, "transmit-interval 100", "receive-interval 150");
        var polled = await edge.WaitForAsync(BfdJson.SessionPath("p1"),
            s => BfdJson.Timer(s, "remote_desired_min_tx_ms") == 100 && BfdJson.Timer(s, "remote_required_min_rx_ms") == 150,
            TimeSpan.FromSeconds(5), "FRR's new timers (tx 100, rx 150) in force");
        Assert.Equal(150, BfdJson.Timer(polled, "transmit_interval_ms"));  // max(our 50, FRR's required 150)
        Assert.Equal(300, BfdJson.Timer(polled, "detection_time_ms"));     // 3 × max(our rx 50, FRR's tx 100)
        Assert.Equal("up", BfdJson.State(polled));
        Assert.Equal(upAt, BfdJson.LastChange(polled)); // no flap during the Poll
        await frr.WaitForPeerAsync("10.240.1.1",
            p => p.GetProperty("status").GetString() == "up" && p.GetProperty("receive-interval").GetInt32() == 150 && p.GetProperty("transmit-interval").GetInt32() == 100,
            TimeSpan.FromSeconds(1), "FRR up with its new timers");

        // FRR stopped dead: we declare Down (diag 1) within our detection time.
        var detection = TimeSpan.FromMilliseconds(BfdJson.Timer(polled, "detection_time_ms"));
        await frr.StopAsync();
        var killedAt = DateTimeOffset.UtcNow;
        var down = await edge.WaitForAsync(BfdJson.SessionPath("p1"), s => BfdJson.State(s) == "down",
            TimeSpan.FromSeconds(3), "BFD p1 down after FRR was killed", TimeSpan.FromMilliseconds(20));
        var detectedAfter = BfdJson.LastChange(down) - killedAt;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FRR killed → Patronus Down after {detectedAfter.TotalMilliseconds:0} ms (detection time {detection.TotalMilliseconds:0} ms)"));
        Assert.Equal("control_detection_time_expired", down.GetProperty("local_diagnostic").GetString());
        Assert.True(detectedAfter <= detection + TimeSpan.FromMilliseconds(50),
            $"down {detectedAfter.TotalMilliseconds} ms after the kill; detection time is {detection.TotalMilliseconds} ms\n{edge.Diagnostics()}");

        // BFD feeds path health: the far kernel still answers the ICMP probes, yet the path is Down because BFD is.
        var health = await edge.WaitForAsync("/api/v1/paths/p1/health", h => h.GetProperty("health").GetProperty("status").GetString() == "down",
            TimeSpan.FromSeconds(1), "path p1 down by BFD");
        Assert.StartsWith("BFD down", health.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(health.GetProperty("targets_up").GetInt32() == 1, $"the ICMP target should still answer: {health}");
    }

    [LabFact]
    public async Task PatronusKilled_FrrReportsControlDetectionTimeExpired()
    {
        var (lab, edgeNs, farNs) = await BuildAsync(output);
        await using var _ = lab;
        await using var frr = await FrrBfdd.StartAsync(lab, farNs, s_frrPeer);
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, Config());
        await edge.WaitForAsync(BfdJson.SessionPath("p1"), s => BfdJson.State(s) == "up", s_upWait, "BFD p1 up");

        // Both ends Up before the kill: Patronus is Up as soon as it hears FRR's Init, FRR only once
        // it hears Patronus's Up. A kill in between leaves FRR in Init, where its detection time
        // runs on the slow pre-Up rate (3 × 1 s) and the wait below measures that instead.
        await frr.WaitForPeerAsync("10.240.1.1", p => p.GetProperty("status").GetString() == "up", TimeSpan.FromSeconds(3), "FRR sees the session up");

        edge.Process.Dispose(); // SIGKILL: no AdminDown goodbye

        var peer = await frr.WaitForPeerAsync("10.240.1.1", p => p.GetProperty("status").GetString() == "down", TimeSpan.FromSeconds(3), "FRR sees the session down");
        Assert.Equal("control detection time expired", peer.GetProperty("diagnostic").GetString());
    }

    [LabFact]
    public async Task FrrPeer_Ipv6SingleHopAndIpv4Multihop_Up()
    {
        var (lab, edgeNs, farNs) = await BuildAsync(output);
        await using var _ = lab;
        await lab.MustExecAsync(edgeNs, "ip", "-6", "addr", "add", "fd00:240:1::1/64", "dev", "wan1", "nodad");
        await lab.MustExecAsync(farNs, "ip", "-6", "addr", "add", "fd00:240:1::2/64", "dev", "wan1", "nodad");
        await using var frr = await FrrBfdd.StartAsync(lab, farNs,
            new FrrBfdd.Peer("fd00:240:1::1", "fd00:240:1::2", ReceiveMs: 100, TransmitMs: 100),
            new FrrBfdd.Peer("10.240.1.1", "10.240.1.2", ReceiveMs: 100, TransmitMs: 100, Multihop: true));
        var config = new
        {
            Sites = new[] { new { Id = "edge" } },
            Links = new[]
            {
                new { Id = "wan1", Site = "edge", Interface = "wan1", SourceAddress = "10.240.1.1" },
                new { Id = "wan1-v6", Site = "edge", Interface = "wan1", SourceAddress = "fd00:240:1::1" },
            },
            Paths = new object[]
            {
                new
                {
                    Id = "v6", Link = "wan1-v6", Probe = "icmp", Targets = new[] { "fd00:240:1::2" },
                    Bfd = new { Peer = "fd00:240:1::2", DesiredMinTxMs = 100, RequiredMinRxMs = 100 },
                },
                new
                {
                    Id = "mh", Link = "wan1", Probe = "icmp", Targets = new[] { "10.240.1.2" },
                    Bfd = new { Peer = "10.240.1.2", Multihop = true, DesiredMinTxMs = 100, RequiredMinRxMs = 100 },
                },
            },
        };
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, config);

        var v6 = await edge.WaitForAsync(BfdJson.SessionPath("v6"), s => BfdJson.State(s) == "up", TimeSpan.FromSeconds(5), "IPv6 session up");
        var mh = await edge.WaitForAsync(BfdJson.SessionPath("mh"), s => BfdJson.State(s) == "up", TimeSpan.FromSeconds(5), "multihop session up");
        Assert.True(mh.GetProperty("multihop").GetBoolean());
        Assert.Equal("fd00:240:1::1", v6.GetProperty("local").GetString());
        await frr.WaitForPeerAsync("fd00:240:1::1", p => p.GetProperty("status").GetString() == "up", TimeSpan.FromSeconds(2), "FRR: IPv6 peer up");
        var frrMultihop = await frr.WaitForPeerAsync("10.240.1.1", p => p.GetProperty("status").GetString() == "up", TimeSpan.FromSeconds(2), "FRR: multihop peer up");
        Assert.True(frrMultihop.GetProperty("multihop").GetBoolean());
    }
}
