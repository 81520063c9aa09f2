using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Health;

/// <summary>
/// Path health over real veth links between network namespaces: STAMP probes from a real
/// <c>patronus serve</c> to a real <c>patronus reflector</c>, failures made by nftables.
/// </summary>
public sealed partial class PathHealthLabTests(ITestOutputHelper output)
{
    // The drop rules of a blackout of wan1, in both directions, inserted in one nft transaction.
    private const string BlackoutWan1 = """add rule inet t out oifname "wan1" drop; add rule inet t in iifname "wan1" drop""";
    private const string Restore = "flush chain inet t out; flush chain inet t in";

    /// <summary>The issue's bound with defaults: worst case one 500 ms probe interval + ~0.2 s to confirm (measured ≤ ~0.75 s).</summary>
    private static readonly TimeSpan s_detectionBound = TimeSpan.FromSeconds(1);

    /// <summary>How often the blackout test asks the API once the rule is in: the resolution of the measured time.</summary>
    private static readonly TimeSpan s_detectionPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a run waits for p1 to go down (to report the real number even past the bound).</summary>
    private static readonly TimeSpan s_detectionLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Age of p1's probing before the first cut. The default window is 30 probes (15 s at 500 ms),
    /// and one loss is ≤ 5 % (no penalty) only once ≥ 20 probes completed: every cut then starts from
    /// the same steady state, in which it takes the second lost probe to bring the path down.
    /// </summary>
    private static readonly TimeSpan s_steadyAfter = TimeSpan.FromSeconds(14);

    /// <summary>
    /// After a restore the lost probes keep the path down until they leave the 30-probe window
    /// (~27 probes at 500 ms, ≈ 14 s); 30 s bounds that with margin.
    /// </summary>
    private static readonly TimeSpan s_recoveryBound = TimeSpan.FromSeconds(30);

    [LabFact]
    public async Task TwoStampPaths_BothUpWithMeasuredLatency_Within10s()
    {
        await using var lab = NetLab.Create(output);
        var edgeNs = await EdgeFarLab.BuildAsync(lab);
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, EdgeFarLab.Config());

        var metrics = await edge.WaitForAsync(HealthJson.MetricsPath,
            m => HealthJson.Status(m, "p1") == "up" && HealthJson.Status(m, "p2") == "up",
            edge.LeftOf(TimeSpan.FromSeconds(10)), "p1 and p2 up within 10 s of starting serve");
        output.WriteLine($"both paths up {edge.Uptime.TotalSeconds:0.00} s after starting serve");

        foreach (var id in new[] { "p1", "p2" })
        {
            var latency = HealthJson.Number(metrics, id, "latency_ms");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}: latency {latency} ms, loss {HealthJson.Number(metrics, id, "packet_loss_pct")} %"));
            Assert.True(latency > 0, $"{id}: latency must be measured over the veth, not 0: {metrics}");
            Assert.Equal(0, HealthJson.Number(metrics, id, "packet_loss_pct"));
            Assert.Equal(100, HealthJson.Number(metrics, id, "health_score"));

            var one = await edge.WaitForAsync($"/api/v1/paths/{id}/health", _ => true, TimeSpan.FromSeconds(5), $"GET {id} health");
            Assert.Equal(1, one.GetProperty("targets_up").GetInt32());
        }
    }

    [LabFact]
    public async Task BlackoutOfWan1_P1DownWithin1s_P2StaysUp_5Runs()
    {
        const int Runs = 5;
        await using var lab = NetLab.Create(output);
        var edgeNs = await EdgeFarLab.BuildAsync(lab);
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, EdgeFarLab.Config());
        await edge.WaitForAsync(HealthJson.MetricsPath,
            m => HealthJson.Status(m, "p1") == "up" && HealthJson.Status(m, "p2") == "up",
            TimeSpan.FromSeconds(10), "p1 and p2 up");
        var probingSince = Stopwatch.GetTimestamp();

        var detections = new List<TimeSpan>();
        for (var run = 1; run <= Runs; run++)
        {
            // Steady state before every cut: p1 up, nothing lost in its window, window old enough.
            var waitStart = Stopwatch.GetTimestamp();
            TimeSpan? upAgain = null;
            await edge.WaitForAsync(HealthJson.MetricsPath, m =>
            {
                AssertP2Up(m, edge, $"run {run}, waiting for p1 to recover");
                if (HealthJson.Status(m, "p1") != "up")
                {
                    return false;
                }

                upAgain ??= Stopwatch.GetElapsedTime(waitStart);
                return HealthJson.Number(m, "p1", "packet_loss_pct") == 0 && Stopwatch.GetElapsedTime(probingSince) >= s_steadyAfter;
            }, s_recoveryBound, $"run {run}: p1 up with 0 % loss", TimeSpan.FromMilliseconds(100));
            if (run > 1)
            {
                output.WriteLine($"  after restore: p1 up again after {upAgain!.Value.TotalSeconds:0.0} s, loss back to 0 after {Stopwatch.GetElapsedTime(waitStart).TotalSeconds:0.0} s");
            }

            // A probe has just been answered (that is when the loss shown drops to 0): cut at a random
            // phase of the 500 ms probe interval, or every run would measure the worst case.
            var phase = TimeSpan.FromMilliseconds(Random.Shared.Next(0, 500));
            await Task.Delay(phase);

            // The poll runs before the cut, so the first answer after it comes within 20 ms.
            using var poll = ApiPoll.Start(lab, edgeNs, HealthJson.MetricsPath, s_detectionPoll, s_detectionLimit + TimeSpan.FromSeconds(1));
            var first = await poll.NextAsync();
            Assert.True(first is { } f && HealthJson.Status(f.Json, "p1") == "up", $"run {run}: the poll's first answer must show p1 up: {first?.Json}\n{edge.Diagnostics()}");

            // The clock starts before nft runs: the rule is in force at some point during the command.
            var cutUtc = DateTimeOffset.UtcNow;
            var cut = Stopwatch.GetTimestamp();
            await lab.NftAsync(edgeNs, BlackoutWan1);
            var ruleIn = Stopwatch.GetElapsedTime(cut);
            var d = await ReadUntilDownAsync(poll, edge, cut, run);
            poll.Dispose();
            var logged = await LoggedDownAsync(edge, cutUtc);

            // The monitor's own transition time (its log line) is the detection; the API poll (a curl
            // per 20 ms from a loaded box) can itself stall for most of a second, which is not the product's.
            detections.Add(logged is { } l && l < d.Seen ? l : d.Seen);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: cut at {cutUtc:HH:mm:ss.fff}Z, {phase.TotalMilliseconds:0} ms after steady state was seen (nft took {ruleIn.TotalMilliseconds:0} ms)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  API: p1 down {d.Seen.TotalMilliseconds:0} ms after the cut (previous answer {d.Previous.TotalMilliseconds:0} ms; {d.Answers} answers, longest gap {d.LongestGap.TotalMilliseconds:0} ms); serve logged Up → Down at {logged?.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) ?? "?"} ms"));
            output.WriteLine($"  p1 then: {HealthJson.Health(d.Metrics, "p1")}");

            await lab.NftAsync(edgeNs, Restore);
        }

        var sorted = detections.Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"blackout → down over {Runs} runs: min {sorted[0].TotalMilliseconds:0} ms, median {sorted[Runs / 2].TotalMilliseconds:0} ms, max {sorted[^1].TotalMilliseconds:0} ms"));
        Assert.True(sorted[^1] <= s_detectionBound,
            $"p1 must be down within {s_detectionBound.TotalMilliseconds} ms of the cut; measured {string.Join(", ", detections.Select(d => $"{d.TotalMilliseconds:0} ms"))}\n{edge.Diagnostics()}");
    }

    /// <summary>What the API showed after a cut: when p1 was first seen down, and how fine the polling was.</summary>
    /// <param name="Seen">Cut to the arrival of the first answer that showed p1 down.</param>
    /// <param name="Previous">Cut to the answer before it (still up, or the cut itself): the detection lies between.</param>
    /// <param name="Answers">Answers read after the cut.</param>
    /// <param name="LongestGap">Longest time between consecutive answers: the poll's worst resolution.</param>
    /// <param name="Metrics">The answer that showed p1 down.</param>
    private readonly record struct Detection(TimeSpan Seen, TimeSpan Previous, int Answers, TimeSpan LongestGap, JsonElement Metrics);

    /// <summary>Reads the poll's answers (one per 20 ms, bounded) until p1 is down; p2 must be up in every answer.</summary>
    private static async Task<Detection> ReadUntilDownAsync(ApiPoll poll, PatronusEdge edge, long cut, int run)
    {
        var answers = 0;
        var previous = cut;
        var longestGap = TimeSpan.Zero;
        while (Stopwatch.GetElapsedTime(cut) < s_detectionLimit && await poll.NextAsync() is { } answer)
        {
            if (answer.At < cut)
            {
                continue; // requested before the cut
            }

            answers++;
            var gap = Stopwatch.GetElapsedTime(previous, answer.At);
            longestGap = gap > longestGap ? gap : longestGap;
            AssertP2Up(answer.Json, edge, $"run {run}, during the blackout of wan1");
            if (HealthJson.Status(answer.Json, "p1") == "down")
            {
                return new Detection(Stopwatch.GetElapsedTime(cut, answer.At), Stopwatch.GetElapsedTime(cut, previous), answers, longestGap, answer.Json);
            }

            previous = answer.At;
        }

        Assert.Fail($"run {run}: p1 still not down {s_detectionLimit.TotalSeconds} s after the blackout of wan1 ({answers} answers)\n{edge.Diagnostics()}");
        return default;
    }

    /// <summary>
    /// When serve itself logged p1's Up → Down after <paramref name="cutUtc"/> (its log timestamps are
    /// UTC with milliseconds, from the same clock): the detection time without the poller's resolution.
    /// </summary>
    private static async Task<TimeSpan?> LoggedDownAsync(PatronusEdge edge, DateTimeOffset cutUtc)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            foreach (Match match in DownLine().Matches(edge.Process.Stdout))
            {
                if (DateTimeOffset.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at >= cutUtc)
                {
                    return at - cutUtc;
                }
            }

            await Task.Delay(100); // console output arrives asynchronously
        }

        return null;
    }

    /// <summary>serve's transition log line, e.g. <c>2026-11-22T09:05:44.479Z info: …PathHealthMonitor[301] Path p1 Up → Down (…)</c>.</summary>
    [GeneratedRegex(@"^(\S+Z) info: \S+ Path p1 Up \S+ Down", RegexOptions.Multiline)]
    private static partial Regex DownLine();

    private static void AssertP2Up(JsonElement metrics, PatronusEdge edge, string when)
    {
        if (HealthJson.Status(metrics, "p2") != "up")
        {
            Assert.Fail($"p2 (wan2, untouched) must stay up; {when} it is: {HealthJson.Health(metrics, "p2")}\n{edge.Diagnostics()}");
        }
    }
}
