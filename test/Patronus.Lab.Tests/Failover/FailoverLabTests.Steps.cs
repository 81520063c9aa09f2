using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Failover;

/// <summary>The steps the failover lab tests share: start, steady state, a measured cut, failback, flapping.</summary>
public sealed partial class FailoverLabTests
{
    /// <summary>
    /// Probes-only steady state also waits until p1's window holds ≥ 20 probes (one per second):
    /// then one lost probe is ≤ 5 % (no penalty) and it takes the second to fail over, as on a
    /// long-running edge. In a younger window a single loss would already fail over, faster.
    /// </summary>
    private static readonly TimeSpan s_matureWindow = TimeSpan.FromSeconds(21);

    /// <summary>
    /// BFD tests: how long both paths are probed before the policy is created. The first probes of a
    /// fresh serve carry cold-start round trips: one outlier of 70–95 ms made the jitter of a
    /// 2-probe window 70–95 ms (score 5–29, the backup unacceptable at the cut: a 323–539 ms gap in
    /// two runs). Some 8 probes dilute one such outlier below the 30 ms threshold; the steady state
    /// then also waits for score 100 on both paths.
    /// </summary>
    private static readonly TimeSpan s_settledWindow = TimeSpan.FromSeconds(6);

    /// <summary>Bound for the lab to come up (serve started, BFD up, both paths measured Up).</summary>
    private static readonly TimeSpan s_upBound = TimeSpan.FromSeconds(20);

    /// <summary>How long after a cut the failover event may take before the test gives up (the bars are far lower).</summary>
    private static readonly TimeSpan s_eventLimit = TimeSpan.FromSeconds(5);

    /// <summary>Builds the lab, starts serve with the lab's config, and starts the ping.</summary>
    private async Task<Run> StartAsync(NetLab lab, bool bfd)
    {
        var started = Stopwatch.GetTimestamp();
        var wan = await WanLab.BuildAsync(lab, bfd);
        var edge = await PatronusEdge.StartAsync(lab, wan.Edge, WanLab.Config(bfd));
        var ping = PingMonitor.Start(lab, wan.Lan, WanLab.Server);
        output.WriteLine($"lab {lab.Prefix} built and serve ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s (BFD: {bfd})");
        return new Run(lab, wan, edge, ping);
    }

    /// <summary>Waits (bounded) for the steady state a cut starts from.</summary>
    private async Task WaitSteadyAsync(Run run, bool bfd)
    {
        var edge = run.Edge;
        if (bfd)
        {
            await WaitBfdUpAsync(run, "p1");
            await WaitBfdUpAsync(run, "p2");
        }

        await edge.WaitForAsync(HealthJson.MetricsPath, m => HealthJson.Status(m, "p1") == "up" && HealthJson.Status(m, "p2") == "up",
            edge.LeftOf(s_upBound), "p1 and p2 up", TimeSpan.FromMilliseconds(100));
        await Task.Delay(bfd ? s_settledWindow : s_matureWindow);
        var settled = await edge.WaitForAsync(HealthJson.MetricsPath,
            m => HealthJson.Number(m, "p1", "health_score") == 100 && HealthJson.Number(m, "p1", "packet_loss_pct") == 0 && HealthJson.Number(m, "p2", "health_score") == 100,
            TimeSpan.FromSeconds(15), "p1 and p2 at score 100, p1 without loss", TimeSpan.FromMilliseconds(100));

        await run.Wan.CreatePolicyAsync();
        await edge.WaitForAsync(FailoverJson.PoliciesPath, p => FailoverJson.ActivePath(p) == "p1", TimeSpan.FromSeconds(5), "policy active on p1");
        await WaitRouteAsync(run, WanLab.RouteViaWan1, TimeSpan.FromSeconds(5), "route via wan1 installed");
        await run.Ping.WaitFlowingAsync(TimeSpan.FromSeconds(10), "steady state", run.Diagnostics);

        Assert.Equal("p1", FailoverJson.ActivePath(await edge.WaitForAsync(FailoverJson.PoliciesPath, _ => true, TimeSpan.FromSeconds(5), "policies")));
        var before = FailoverJson.Events(await edge.WaitForAsync(FailoverJson.EventsPath, _ => true, TimeSpan.FromSeconds(5), "events"));
        foreach (var e in before)
        {
            output.WriteLine($"  before the cut: {e}");
        }

        Assert.True(!before.Any(e => e.IsSwitch), $"switches before the cut: the lab is not steady\n{string.Join('\n', before)}\n{run.Diagnostics()}");

        output.WriteLine($"steady {edge.Uptime.TotalSeconds:0.0} s after starting serve: p1 active, route via wan1, ping flowing; " +
            $"p1 {HealthJson.Health(settled, "p1")}, p2 {HealthJson.Health(settled, "p2")}");
    }

    /// <summary>
    /// Waits (bounded) until a path's session is Up with the lab's timers in force on both sides: for
    /// its first second Up a session still runs the slow (1 s) rates of the handshake, until the
    /// Poll/Final that brings in 50 ms, and a cut then takes far longer than 150 ms to detect.
    /// Bounded by <paramref name="within"/>, or by what is left of 20 s since serve started (the first Up).
    /// </summary>
    private async Task WaitBfdUpAsync(Run run, string path, TimeSpan? within = null)
    {
        var detection = WanLab.BfdIntervalMs * WanLab.BfdMultiplier;
        var session = await run.Edge.WaitForAsync(BfdJson.SessionPath(path),
            s => BfdJson.State(s) == "up" && BfdJson.Timer(s, "detection_time_ms") == detection && BfdJson.Timer(s, "transmit_interval_ms") == WanLab.BfdIntervalMs &&
                 !s.GetProperty("timers").GetProperty("poll_active").GetBoolean(),
            within ?? run.Edge.LeftOf(s_upBound), $"BFD {path} up at {WanLab.BfdIntervalMs} ms × {WanLab.BfdMultiplier}", TimeSpan.FromMilliseconds(100));
        output.WriteLine($"BFD {path} up at {WanLab.BfdIntervalMs} ms × {WanLab.BfdMultiplier} {run.Edge.Uptime.TotalSeconds:0.0} s after starting serve: {session.GetProperty("timers")}");
    }

    /// <summary>
    /// Cuts wan1 with <paramref name="cut"/>, waits for the failover event, the route via wan2 and
    /// replies flowing again, and measures the longest gap in the ping replies around the cut.
    /// </summary>
    private async Task<CutResult> MeasureCutAsync(Run run, string what, Func<Task> cut)
    {
        var cutAt = DateTimeOffset.UtcNow;
        await cut();
        var cutTook = DateTimeOffset.UtcNow - cutAt;

        var body = await run.Edge.WaitForAsync(FailoverJson.EventsSince(cutAt - TimeSpan.FromSeconds(1)),
            b => FailoverJson.Events(b).Any(e => e.Type == "triggered" && e.Timestamp >= cutAt), s_eventLimit, $"{what}: failover event");
        var triggered = FailoverJson.Events(body).First(e => e.Type == "triggered" && e.Timestamp >= cutAt);
        Assert.True(triggered is { From: "p1", To: "p2" }, $"{what}: expected p1 → p2, got {triggered}\n{run.Diagnostics()}");
        await WaitRouteAsync(run, WanLab.RouteViaWan2, TimeSpan.FromSeconds(2), $"{what}: route via wan2");
        await run.Ping.WaitFlowingAsync(TimeSpan.FromSeconds(3), $"{what}: after the failover", run.Diagnostics);

        // "Flowing" may still be judged on replies from before the cut: wait for one after the decision.
        var replyDeadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3);
        while (!(run.Ping.LastAtOrBefore(DateTimeOffset.UtcNow) is { } newest && newest > triggered.Timestamp))
        {
            Assert.True(DateTimeOffset.UtcNow < replyDeadline, $"{what}: no ping reply within 3 s of the failover decision\n{run.Diagnostics()}");
            await Task.Delay(20);
        }

        // From the last reply before the cut: an older gap is not the cut's doing. Should the machine
        // have stalled the ping just before the cut, that stall counts in (a conservative gap).
        var lastBefore = run.Ping.LastAtOrBefore(cutAt);
        Assert.True(lastBefore is { } l && cutAt - l <= TimeSpan.FromSeconds(1), $"{what}: no ping reply in the second before the cut\n{run.Diagnostics()}");
        var gap = run.Ping.LongestGap(lastBefore.Value, DateTimeOffset.UtcNow);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: longest ping gap {Ms(gap.Length)} ms (replies at {Ms(gap.From - cutAt)} and {Ms(gap.To - cutAt)} ms from the cut, which took {Ms(cutTook)} ms); " +
            $"failover decided {Ms(triggered.Timestamp - cutAt)} ms after the cut; first reply {Ms(gap.To - triggered.Timestamp)} ms after the decision"));
        output.WriteLine($"  event: {triggered}");
        return new CutResult(cutAt, triggered, gap);
    }

    /// <summary>
    /// After the restore: polls the policy (failback pending since), p1's health and BFD session and
    /// the kernel route until p1 is active again, printing p1's state every 2 s; the route must stay
    /// via wan2 until then. Then reads the failback event and the ping gap around it.
    /// </summary>
    private async Task<FailbackResult> WaitForFailbackAsync(Run run, DateTimeOffset restoreAt)
    {
        var edge = run.Edge;
        var limit = restoreAt + s_failbackBound + TimeSpan.FromSeconds(15); // past the bound: report the real number
        DateTimeOffset? healthySince = null;
        DateTimeOffset? bfdUpAt = null;
        var nextPrint = restoreAt;
        var back = false;
        while (!back && DateTimeOffset.UtcNow < limit)
        {
            // Route first: serve publishes the new active path before it replaces the route, so a
            // route via wan1 is never read together with an older "p2 active".
            var route = await run.Wan.PolicyRouteAsync();
            var policies = await edge.TryGetJsonAsync(FailoverJson.PoliciesPath);
            var health = await edge.TryGetJsonAsync("/api/v1/paths/p1/health");
            var session = await edge.TryGetJsonAsync(BfdJson.SessionPath("p1"));
            if (policies is { } p)
            {
                back = FailoverJson.ActivePath(p) == "p1";
                healthySince = FailoverJson.FailbackPendingSince(p) ?? (back ? healthySince : null);
                Assert.True(back || route == WanLab.RouteViaWan2, $"p2 is active but the kernel route is '{route}'\n{run.Diagnostics()}");
            }

            if (session is { } s && BfdJson.State(s) == "up")
            {
                bfdUpAt ??= BfdJson.LastChange(s);
            }

            if (DateTimeOffset.UtcNow >= nextPrint || back)
            {
                nextPrint += TimeSpan.FromSeconds(2);
                var h = health?.GetProperty("health");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  restore +{(DateTimeOffset.UtcNow - restoreAt).TotalSeconds:0.0} s: p1 score {h?.GetProperty("health_score")}, loss {h?.GetProperty("packet_loss_pct")} %, " +
                    $"BFD {(session is { } b ? BfdJson.State(b) : "?")}, failback pending since {(healthySince is { } since ? $"+{(since - restoreAt).TotalSeconds:0.0} s" : "-")}, active {(back ? "p1" : "p2")}"));
            }

            await Task.Delay(200);
        }

        Assert.True(back, $"no failback to p1 within {(limit - restoreAt).TotalSeconds} s of the restore\n{run.Diagnostics()}");
        await WaitRouteAsync(run, WanLab.RouteViaWan1, TimeSpan.FromSeconds(2), "route via wan1 after the failback");
        var body = await edge.WaitForAsync(FailoverJson.EventsSince(restoreAt), b => FailoverJson.Events(b).Any(e => e.Type == "failback"),
            TimeSpan.FromSeconds(5), "failback event");
        var events = FailoverJson.Events(body);
        foreach (var e in events)
        {
            output.WriteLine($"  event since the restore: {e}");
        }

        var failback = events.First(e => e.Type == "failback");
        Assert.True(failback is { From: "p2", To: "p1" }, $"expected a failback p2 → p1, got {failback}");
        Assert.True(healthySince is not null, $"p1 was never seen failback-healthy before the failback\n{run.Diagnostics()}");

        // Replies around the failback (a make-before-break route replace: nothing should be lost).
        await Task.Delay(500);
        var gap = run.Ping.LongestGap(failback.Timestamp - TimeSpan.FromSeconds(1), failback.Timestamp + TimeSpan.FromMilliseconds(500));
        return new FailbackResult(failback, healthySince.Value, bfdUpAt, gap);
    }

    /// <summary>Alternates wan1 between random loss and clean every <see cref="s_flapPhase"/> for <see cref="s_flapDuration"/>, then collects what happened.</summary>
    private static async Task<FlapResult> FlapAsync(Run run)
    {
        var start = DateTimeOffset.UtcNow;
        var decidedBefore = await EventsDecidedAsync(run);
        var clock = Stopwatch.StartNew();
        var lossPhases = 0;
        var phases = (int)(s_flapDuration / s_flapPhase);
        for (var i = 0; i < phases; i++)
        {
            // Phases on a fixed schedule: the time nft takes does not accumulate.
            if (i % 2 == 0)
            {
                await run.Wan.LossOnWan1Async(FlapLossPercent);
                lossPhases++;
            }
            else
            {
                await run.Wan.ClearWan1RulesAsync();
            }

            var wait = (s_flapPhase * (i + 1)) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        await run.Wan.ClearWan1RulesAsync();
        var end = DateTimeOffset.UtcNow;

        // Events reach the API through the store's batched writer, after the decision: wait until
        // every event decided since the start (serve's event counter) is there to be read.
        var decided = await EventsDecidedAsync(run) - decidedBefore;
        var body = await run.Edge.WaitForAsync(FailoverJson.EventsSince(start), b => FailoverJson.Events(b).Count >= decided,
            TimeSpan.FromSeconds(5), $"the {decided} events decided during the flap in the API");
        var events = FailoverJson.Events(body).Where(e => e.Timestamp <= end + TimeSpan.FromSeconds(1)).ToList();
        var policies = await run.Edge.WaitForAsync(FailoverJson.PoliciesPath, _ => true, TimeSpan.FromSeconds(5), "policies after the flap");
        var bfdDowns = BfdDownLine().Matches(run.Edge.Process.Stdout)
            .Select(m => DateTimeOffset.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            .Where(at => at >= start && at <= end)
            .ToList();
        return new FlapResult(start, events, events.Where(e => e.IsSwitch).ToList(), events.Count(e => e.Type == "dampened"), lossPhases, bfdDowns,
            run.Ping.LossPercent(start, end), run.Ping.LongestGap(start, end), FailoverJson.ActivePath(policies));
    }

    /// <summary>
    /// Watches for <paramref name="duration"/> (every 100 ms) that p1 stays active with its route via
    /// wan1 and p1's health Up — a bounded observation of something that must not happen.
    /// </summary>
    private static async Task HoldsAsync(Run run, TimeSpan duration, string when)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var policies = await run.Edge.WaitForAsync(FailoverJson.PoliciesPath, _ => true, TimeSpan.FromSeconds(5), "policies");
            var health = await run.Edge.WaitForAsync(HealthJson.MetricsPath, _ => true, TimeSpan.FromSeconds(5), "health");
            Assert.True(FailoverJson.ActivePath(policies) == "p1", $"{when}: p2 became active\n{run.Diagnostics()}");
            Assert.True(HealthJson.Status(health, "p1") == "up", $"{when}: p1 is {HealthJson.Health(health, "p1")}\n{run.Diagnostics()}");
            Assert.Equal(WanLab.RouteViaWan1, await run.Wan.PolicyRouteAsync());
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// How many failover events serve has decided so far: the sum of <c>patronus_failover_events_total</c>
    /// in its scrape (counted when decided, before the store writes them).
    /// </summary>
    private static async Task<long> EventsDecidedAsync(Run run)
    {
        var scrape = await run.Edge.TryGetTextAsync("/metrics");
        Assert.True(scrape is not null, $"no /metrics scrape\n{run.Diagnostics()}");
        var samples = EventsTotalLine().Matches(scrape);
        Assert.True(samples.Count > 0, $"no patronus_failover_events_total series in the scrape (every policy has them from its start)\n{scrape}");
        return (long)samples.Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private static async Task WaitRouteAsync(Run run, string expected, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        string? route = null;
        while (clock.Elapsed < timeout)
        {
            route = await run.Wan.PolicyRouteAsync();
            if (route == expected)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"{what}: expected '{expected}', the kernel has '{route ?? "(no proto 250 route)"}'\n{run.Diagnostics()}");
    }

    /// <summary>A sample of the event counter, e.g. <c>patronus_failover_events_total{policy_id="1",type="triggered"} 1</c>.</summary>
    [GeneratedRegex(@"^patronus_failover_events_total\{[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex EventsTotalLine();

    /// <summary>serve's BFD transition line, e.g. <c>2026-11-22T09:05:44.479Z info: …BfdService[0] BFD session p1: Up -> Down (…)</c>.</summary>
    [GeneratedRegex(@"^(\S+Z) info: \S+ BFD session p1: Up -> Down", RegexOptions.Multiline)]
    private static partial Regex BfdDownLine();

    /// <summary>One lab: its namespaces, serve, and the ping that runs throughout.</summary>
    private sealed record Run(NetLab Lab, WanLab Wan, PatronusEdge Edge, PingMonitor Ping) : IAsyncDisposable
    {
        public string Diagnostics() => Edge.Diagnostics();

        public ValueTask DisposeAsync() => Wan.DisposeAsync();
    }

    private sealed record CutResult(DateTimeOffset CutAt, FailoverJson.FailoverEvent Event, PingMonitor.Gap Gap);

    /// <param name="Event">The failback event.</param>
    /// <param name="HealthySince">Since when p1 had been failback-healthy when traffic returned (the policy's <c>failback_pending_since</c>).</param>
    /// <param name="BfdUpAt">When p1's BFD session came Up again (its <c>last_change</c>), if it was seen Up.</param>
    /// <param name="Gap">The longest ping gap around the failback.</param>
    private sealed record FailbackResult(FailoverJson.FailoverEvent Event, DateTimeOffset HealthySince, DateTimeOffset? BfdUpAt, PingMonitor.Gap Gap);

    private sealed record FlapResult(
        DateTimeOffset Start,
        IReadOnlyList<FailoverJson.FailoverEvent> Events,
        IReadOnlyList<FailoverJson.FailoverEvent> Switches,
        int Dampened,
        int LossPhases,
        IReadOnlyList<DateTimeOffset> BfdDowns,
        double PingLossPercent,
        PingMonitor.Gap LongestGap,
        string ActiveAfter);
}
