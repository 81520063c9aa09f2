using System.Globalization;
using System.Text.Json;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Failover;

/// <summary>
/// Failover moving real traffic (issue 5): a host on the edge's LAN pings a server behind the
/// remote site (asked every 10 ms; ping sends every ~16 ms) while wan1 fails, and the longest gap
/// between echo replies is what the outage cost the traffic.
/// <code>
///                   ┌─ wan1 ── wan1 router (NAT) ─┐
///  lan ── edge ─────┤                              ├── remote ── server
///  .10.2  (serve)   └─ wan2 ── wan2 router (NAT) ─┘   reflector :862, FRR bfdd   .20.2
///
///  p1 = wan1: STAMP to 10.240.11.2:862 (+ multihop BFD 50 ms × 3 to 10.240.11.2)   primary
///  p2 = wan2: STAMP to 10.240.12.2:862 (+ multihop BFD 50 ms × 3 to 10.240.12.2)   backup
///  policy "to-server": 10.240.20.0/24, failover &lt; 50, failback ≥ 80 for 5 s, kernel routes (proto 250)
/// </code>
/// Addresses and links: <see cref="WanLab"/>. Before every cut the lab is steady: both paths Up
/// and, with BFD, both sessions Up at 50 ms × 3; then the policy is created through the API (why
/// not in the config file: <see cref="WanLab.CreatePolicyAsync"/>), and the cut waits for p1
/// active, the route via wan1 in the kernel and replies flowing.
/// <para>
/// Measured on the 2-core dev machine (load 2–5 from other work), 2026-11-30, four runs of
/// <c>dotnet test test/Patronus.Lab.Tests -c Release --no-build --filter 'FullyQualifiedName~Failover'</c>
/// (156–161 s each for the four tests): BFD, link down: gap 135–179 ms, failover decided 120–145 ms
/// after the cut (bar 300); BFD, nftables drop: 148–184 ms (bar 300); probes only, link down:
/// 244–608 ms depending on where in the 500 ms probe interval the cut falls (bar 1 s; five runs
/// after the interval went from 1 s to 500 ms, when it was 568–1228 ms); restore → failback
/// 18.9 s (31.5–32.2 s at 1 s): p1's BFD is Up again 0.3–0.8 s after the restore, but the probes lost in
/// the outage keep p1's score below 80 until they leave its 30-probe window (13.9 s), then the
/// 5 s delay runs exactly (5000–5003 ms), and the failback costs the ping 16–23 ms; 60 s of
/// 30 % loss / clean: 1 switch, p1's BFD Down 14–19 times, nothing dampened.
/// </para>
/// </summary>
public sealed partial class FailoverLabTests(ITestOutputHelper output)
{
    /// <summary>Issue 5's bar with BFD: 150 ms detection + the decision and route replace + slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan s_bfdGapBound = TimeSpan.FromMilliseconds(300);

    /// <summary>The SPEC's bar with probes only: up to 500 ms to the next probe, two lost probes ~200 ms, the route replace.</summary>
    private static readonly TimeSpan s_probeGapBound = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long wan1 stays cut after the failover before it is restored: long enough for p1's probes
    /// to be lost (a real outage), so that the restore shows how long the losses weigh on p1's score.
    /// </summary>
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Latest acceptable failback after the restore: the probes lost during the outage leave the
    /// 30-probe window at most 15 s after the restore (one new answered probe per 500 ms
    /// pushes one out), then the 5 s delay runs; BFD is back Up within ~3 s (FRR sends once a
    /// second while Down), which overlaps. 45 s leaves 10 s for a loaded machine.
    /// </summary>
    private static readonly TimeSpan s_failbackBound = TimeSpan.FromSeconds(45);

    /// <summary>A failback replaces the route while both links work: it must not cost traffic more than a cut with BFD does.</summary>
    private static readonly TimeSpan s_failbackGapBound = TimeSpan.FromMilliseconds(300);

    /// <summary>Flap test: how long wan1 alternates between loss and clean, and the phase length.</summary>
    private static readonly TimeSpan s_flapDuration = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan s_flapPhase = TimeSpan.FromSeconds(2);

    private const int FlapLossPercent = 30;

    private const int MaxFlapSwitches = 2;

    [LabFact]
    public async Task Bfd50msX3_Wan1LinkDown_PingGapAtMost300ms_ThenRestored_FailbackAfterDelay()
    {
        await using var lab = NetLab.Create(output);
        await using var run = await StartAsync(lab, bfd: true);
        await WaitSteadyAsync(run, bfd: true);

        // Scenario 1: the wan1 router's edge-facing interface goes down.
        // Usually BFD detects the cut (reason "path p1 BFD down"); a probe that happens to be lost
        // first can win the race (reason "score … < failover threshold"): p1's window holds only
        // ~8 probes here, so one loss is already 12 %.
        var cut = await MeasureCutAsync(run, "BFD, wan1 link down", run.Wan.CutWan1LinkAsync);
        Assert.True(cut.Gap.Length <= s_bfdGapBound,
            $"BFD 50 ms × 3, link down: longest ping gap {Ms(cut.Gap.Length)} ms > {Ms(s_bfdGapBound)} ms\n{run.Diagnostics()}");

        // Scenario 3: restored after an outage; failback only after the delay.
        await Task.Delay(s_outage);
        var restoreAt = DateTimeOffset.UtcNow;
        await run.Wan.RestoreWan1LinkAsync();
        var failback = await WaitForFailbackAsync(run, restoreAt);

        var afterRestore = failback.Event.Timestamp - restoreAt;
        var afterHealthy = failback.Event.Timestamp - failback.HealthySince;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"restore → failback {Ms(afterRestore)} ms; p1 failback-healthy (score ≥ 80, BFD up) from {Ms(failback.HealthySince - restoreAt)} ms after the restore, " +
            $"failback {Ms(afterHealthy)} ms after that (delay {FailbackDelaySeconds} s); BFD p1 up again {(failback.BfdUpAt is { } up ? Ms(up - restoreAt) : "?")} ms after the restore"));
        output.WriteLine($"  failback event: {failback.Event}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ping at the failback: longest gap {Ms(failback.Gap.Length)} ms ({Ms(failback.Gap.From - failback.Event.Timestamp)} to {Ms(failback.Gap.To - failback.Event.Timestamp)} ms around the event)"));

        Assert.True(afterRestore >= WanLab.FailbackDelay,
            $"failback {Ms(afterRestore)} ms after the restore: before the configured delay of {FailbackDelaySeconds} s\n{run.Diagnostics()}");
        Assert.True(afterHealthy >= WanLab.FailbackDelay && afterHealthy <= WanLab.FailbackDelay + TimeSpan.FromSeconds(1),
            $"failback {Ms(afterHealthy)} ms after p1 became failback-healthy; the delay is {FailbackDelaySeconds} s\n{run.Diagnostics()}");
        Assert.True(afterRestore <= s_failbackBound,
            $"failback {Ms(afterRestore)} ms after the restore; expected within {Ms(s_failbackBound)} ms\n{run.Diagnostics()}");
        Assert.True(failback.Gap.Length <= s_failbackGapBound,
            $"the failback cost the ping a gap of {Ms(failback.Gap.Length)} ms\n{run.Diagnostics()}");
    }

    [LabFact]
    public async Task Bfd50msX3_Wan1DroppedByNftables_PingGapAtMost300ms()
    {
        await using var lab = NetLab.Create(output);
        await using var run = await StartAsync(lab, bfd: true);
        await WaitSteadyAsync(run, bfd: true);

        var cut = await MeasureCutAsync(run, "BFD, nftables drop-all on wan1", run.Wan.DropAllOnWan1Async);
        Assert.True(cut.Gap.Length <= s_bfdGapBound,
            $"BFD 50 ms × 3, nftables drop: longest ping gap {Ms(cut.Gap.Length)} ms > {Ms(s_bfdGapBound)} ms\n{run.Diagnostics()}");
    }

    [LabFact]
    public async Task ProbesOnly_Wan1LinkDown_PingGapAtMost1s()
    {
        await using var lab = NetLab.Create(output);
        await using var run = await StartAsync(lab, bfd: false);
        await WaitSteadyAsync(run, bfd: false);

        // The cut lands at a random phase of the 500 ms probe interval: a fixed phase would always
        // measure the same point between the best case (~0.2 s) and the worst (~0.7 s).
        var phase = TimeSpan.FromMilliseconds(Random.Shared.Next(0, 500));
        await Task.Delay(phase);
        output.WriteLine($"cut {Ms(phase)} ms after steady state was seen");
        var cut = await MeasureCutAsync(run, "probes only, wan1 link down", run.Wan.CutWan1LinkAsync);
        Assert.True(cut.Gap.Length <= s_probeGapBound,
            $"probes only, link down: longest ping gap {Ms(cut.Gap.Length)} ms > {Ms(s_probeGapBound)} ms\n{run.Diagnostics()}");
    }

    /// <summary>
    /// wan1 alternates between 30 % random loss (each direction, so ~51 % of round trips) and clean
    /// every 2 s, for the full 60 s of issue 5 (the four tests fit in ~2 min 40 s with it). What
    /// keeps the switches down is the failback hysteresis: after the first failover, p1 must score
    /// ≥ 80 (≤ 1 lost probe in its 30-probe window) for 5 s without a dip before traffic returns,
    /// and every loss phase puts new losses into that window; flap dampening (a fourth switch
    /// within 5 minutes is held) is never reached. Measured: 1 switch in every run.
    /// </summary>
    [LabFact]
    public async Task Wan1Alternating30PctLossAndClean_AtMostTwoSwitches()
    {
        await using var lab = NetLab.Create(output);
        await using var run = await StartAsync(lab, bfd: true);
        await WaitSteadyAsync(run, bfd: true);

        var flap = await FlapAsync(run);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flap {s_flapDuration.TotalSeconds} s ({flap.LossPhases} loss phases of {s_flapPhase.TotalSeconds} s at {FlapLossPercent} %): " +
            $"{flap.Switches.Count} switches, {flap.Dampened} dampened, BFD p1 Up → Down {flap.BfdDowns.Count} times " +
            $"(at +{string.Join(", +", flap.BfdDowns.Select(d => (d - flap.Start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)))} s); " +
            $"ping loss {flap.PingLossPercent:0.0} %, longest gap {Ms(flap.LongestGap.Length)} ms; active after: {flap.ActiveAfter}"));
        foreach (var e in flap.Events)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  +{(e.Timestamp - flap.Start).TotalSeconds:0.000} s: {e}"));
        }

        Assert.True(flap.Switches.Count <= MaxFlapSwitches,
            $"{flap.Switches.Count} switches during the flap (at most {MaxFlapSwitches}):\n{string.Join('\n', flap.Switches)}\n{run.Diagnostics()}");
    }

    /// <summary>
    /// Issue 13 item 8: FRR's peer of p1 is shut down for maintenance (<c>vtysh</c> → <c>bfd</c> →
    /// <c>peer …</c> → <c>shutdown</c>), then brought back (<c>no shutdown</c>). p1's session goes
    /// Down because the peer signalled AdminDown, which RFC 5882 §3.2 says is no forwarding
    /// failure: no switch away, and none back; the probes keep judging p1 (it stays Up), and the API
    /// and metrics say why BFD has no opinion. Before the fix: a failover at the shutdown and a
    /// failback 5 s after the session was Up again — two route changes per maintenance action.
    /// </summary>
    [LabFact]
    public async Task Bfd50msX3_FrrPeerShutdownThenNoShutdown_NoSwitchEitherWay()
    {
        await using var lab = NetLab.Create(output);
        await using var run = await StartAsync(lab, bfd: true);
        await WaitSteadyAsync(run, bfd: true);
        var frr = run.Wan.Frr!;
        var peer = new FrrBfdd.Peer("10.240.1.1", "10.240.11.2", WanLab.BfdMultiplier, WanLab.BfdIntervalMs, WanLab.BfdIntervalMs, Multihop: true);
        var start = DateTimeOffset.UtcNow;
        var decidedBefore = await EventsDecidedAsync(run);

        await frr.ConfigurePeerAsync(peer, "shutdown");
        var down = await run.Edge.WaitForAsync(BfdJson.SessionPath("p1"),
            s => BfdJson.State(s) == "down" && s.GetProperty("remote_state").GetString() == "admin_down", TimeSpan.FromSeconds(5),
            "p1's session Down with FRR AdminDown");
        output.WriteLine($"FRR shutdown: p1's session {down.GetProperty("state")}, remote {down.GetProperty("remote_state")}, reason {down.GetProperty("last_change_reason")}");

        // The maintenance lasts: BFD decides a failover within ~150 ms of a Down (the cuts above),
        // so 3 s without one is a clear no; the probes keep p1 Up meanwhile.
        await HoldsAsync(run, TimeSpan.FromSeconds(3), "during the peer's AdminDown");

        // Why BFD has no opinion, in the API and the metrics.
        Assert.True(down.GetProperty("peer_admin_down").GetBoolean(), $"peer_admin_down in the API: {down}");
        Assert.Equal(JsonValueKind.Null, down.GetProperty("health_score").ValueKind);
        var scrape = await run.Edge.TryGetTextAsync("/metrics");
        Assert.Contains("patronus_bfd_session_peer_admin_down{path_id=\"p1\"} 1", scrape, StringComparison.Ordinal);

        // Up again on its own bound: the 20 s since serve started were for the first Up, and a
        // loaded box had spent them by now (the wait then had 0 s).
        await frr.ConfigurePeerAsync(peer, "no shutdown");
        await WaitBfdUpAsync(run, "p1", TimeSpan.FromSeconds(10));
        // Longer than the 5 s failback delay: a failback (after a failover) would have come by now.
        await HoldsAsync(run, WanLab.FailbackDelay + TimeSpan.FromSeconds(1), "after the peer's no shutdown");

        Assert.Equal(decidedBefore, await EventsDecidedAsync(run));
        var events = FailoverJson.Events(await run.Edge.WaitForAsync(FailoverJson.EventsSince(start), _ => true, TimeSpan.FromSeconds(5), "events"));
        Assert.True(events.Count == 0, $"events during the maintenance:\n{string.Join('\n', events)}\n{run.Diagnostics()}");
        var gap = run.Ping.LongestGap(start, DateTimeOffset.UtcNow);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shutdown / no shutdown: no failover event, p1 active throughout, longest ping gap {Ms(gap.Length)} ms"));
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    private static string FailbackDelaySeconds => WanLab.FailbackDelay.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
