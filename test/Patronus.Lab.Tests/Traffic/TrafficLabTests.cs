using System.Diagnostics;
using System.Globalization;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Traffic;

/// <summary>
/// Traffic accounting in a real <c>patronus serve</c> (issue 6), in the failover lab's namespaces
/// (<see cref="WanLab"/>, probes only): the policy "to-server" (10.240.20.0/24, primary p1 over
/// wan1) is created through the API, serve rebuilds its table <c>inet patronus_acct</c>, the LAN
/// host pings the server a known number of times with a known size, and the kernel's counters in
/// the edge namespace must have grown by exactly that. What serve publishes from those counters
/// (<c>ITrafficSource</c>) is checked in-process by <see cref="TrafficServiceLabTests"/>.
/// </summary>
public sealed class TrafficLabTests(ITestOutputHelper output)
{
    private const int PingCount = 50;
    private const int PingSize = 1000;

    /// <summary>An unauthenticated STAMP test packet (44 octets, RFC 8762 §4.2.1) in UDP and IPv4.</summary>
    private const int StampIpLength = 44 + 8 + 20;

    [LabFact]
    public async Task Serve_PolicyFromApi_PingCountedExactlyForPolicyAndPath_TableRemovedAtShutdown()
    {
        await using var lab = NetLab.Create(output);
        await using var wan = await WanLab.BuildAsync(lab, bfd: false);
        var edge = await PatronusEdge.StartAsync(lab, wan.Edge, WanLab.Config(bfd: false));
        await edge.Process.WaitForOutputAsync("Traffic accounting on", TimeSpan.FromSeconds(10));
        await edge.WaitForAsync(HealthJson.MetricsPath, m => HealthJson.Status(m, "p1") == "up" && HealthJson.Status(m, "p2") == "up",
            TimeSpan.FromSeconds(20), "p1 and p2 up", TimeSpan.FromMilliseconds(100));

        await wan.CreatePolicyAsync();
        var policies = await edge.WaitForAsync(FailoverJson.PoliciesPath, p => FailoverJson.ActivePath(p) == "p1", TimeSpan.FromSeconds(5), "policy active on p1");
        var counter = $"policy_{FailoverJson.Policy(policies).GetProperty("policy_id").GetInt64().ToString(CultureInfo.InvariantCulture)}";
        await WaitAsync(async () => await wan.PolicyRouteAsync() == WanLab.RouteViaWan1, "route via wan1");
        await WaitAsync(async () => (await AcctCounters.ReadAsync(lab, wan.Edge))?.ContainsKey(counter) == true, $"serve's table has {counter}");

        var before = (await AcctCounters.ReadAsync(lab, wan.Edge))!;
        var (sent, received) = await AcctCounters.PingAsync(lab, wan.Lan, WanLab.Server, PingCount, PingSize);
        var after = (await AcctCounters.ReadAsync(lab, wan.Edge))!;

        var policy = after[counter] - before[counter];
        var p1 = after["path_p1"] - before["path_p1"];
        var p2 = after["path_p2"] - before["path_p2"];
        output.WriteLine($"ping -c {PingCount} -s {PingSize}: {sent} sent, {received} received; {counter} +{policy}; path_p1 +{p1}; path_p2 +{p2}");

        // The policy counts exactly the echo requests (IP length = payload + 28); the replies come
        // back through lan0, neither to the prefix nor out of a WAN.
        Assert.Equal(new Count(PingCount, PingCount * (ulong)(PingSize + AcctCounters.IcmpOverhead)), policy);

        // p2 carries only its own STAMP probes; p1 the pings plus its probes, nothing else.
        Assert.True(p2.Packets > 0, $"no STAMP probe left over wan2 during the ping: {p2}");
        Assert.Equal(p2.Packets * StampIpLength, p2.Bytes);
        var p1Probes = p1.Packets - PingCount;
        Assert.True(p1.Packets >= PingCount, $"path_p1 +{p1} for {PingCount} pings");
        Assert.Equal(policy.Bytes + (p1Probes * StampIpLength), p1.Bytes);

        // What serve publishes is what the kernel counted: the API and /metrics show the policy's
        // totals (nothing else goes to its prefix), read from the same counters within a second.
        var policyId = counter["policy_".Length..];
        var total = after[counter];
        var traffic = await edge.WaitForAsync("/api/v1/metrics/traffic",
            t => t.GetProperty("policies").EnumerateArray().Any(p => p.GetProperty("policy_id").GetInt64().ToString(CultureInfo.InvariantCulture) == policyId &&
                p.GetProperty("packets_matched").GetUInt64() == total.Packets),
            TimeSpan.FromSeconds(5), "the API shows the kernel's policy count");
        Assert.True(traffic.GetProperty("traffic_accounting").GetProperty("available").GetBoolean());
        var apiPolicy = traffic.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("policy_id").GetInt64().ToString(CultureInfo.InvariantCulture) == policyId);
        Assert.Equal(total.Bytes, apiPolicy.GetProperty("bytes_matched").GetUInt64());
        var apiP1 = traffic.GetProperty("paths").EnumerateArray().Single(p => p.GetProperty("path_id").GetString() == "p1");
        // p1 keeps counting its own probes, so its published total is only bounded below: by the pings on top of where it started.
        Assert.True(apiP1.GetProperty("packets_total").GetUInt64() >= before["path_p1"].Packets + PingCount, $"p1 in the API: {apiP1}");

        var scrape = await edge.TryGetTextAsync("/metrics");
        Assert.NotNull(scrape);
        var line = scrape.Split('\n').Single(l => l.StartsWith("patronus_policy_packets_total{", StringComparison.Ordinal) && l.Contains($"policy_id=\"{policyId}\"", StringComparison.Ordinal));
        Assert.EndsWith(" " + total.Packets.ToString(CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
        var bytesLine = scrape.Split('\n').Single(l => l.StartsWith("patronus_policy_bytes_total{", StringComparison.Ordinal) && l.Contains($"policy_id=\"{policyId}\"", StringComparison.Ordinal));
        Assert.EndsWith(" " + total.Bytes.ToString(CultureInfo.InvariantCulture), bytesLine, StringComparison.Ordinal);
        output.WriteLine($"API and /metrics: policy {policyId} {total.Packets} packets, {total.Bytes} bytes; p1 {apiP1.GetProperty("packets_total")} packets");

        var export = await edge.WaitForAsync("/api/v1/metrics/export/json", _ => true, TimeSpan.FromSeconds(5), "JSON export");
        var exported = export.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("policy_id").GetInt64().ToString(CultureInfo.InvariantCulture) == policyId);
        Assert.Equal(total.Packets, exported.GetProperty("packets_matched").GetUInt64());

        // Graceful shutdown (SIGTERM, what systemd sends) removes the table.
        var stopping = Stopwatch.GetTimestamp();
        await Shell.MustRunAsync("kill", ["-TERM", edge.Process.Id.ToString(CultureInfo.InvariantCulture)]);
        await WaitAsync(() => Task.FromResult(edge.Process.HasExited), "serve exits after SIGTERM", TimeSpan.FromSeconds(10));
        output.WriteLine($"serve stopped {Stopwatch.GetElapsedTime(stopping).TotalMilliseconds:0} ms after SIGTERM");
        Assert.False(await AcctCounters.TableExistsAsync(lab, wan.Edge), $"inet patronus_acct outlived serve\n{lab.Diagnostics()}");
    }

    private async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        Assert.True(await Poll.UntilAsync(condition, limit, TimeSpan.FromMilliseconds(50)), $"{what}: not within {limit.TotalSeconds} s");

        output.WriteLine($"{what}: ok");
    }
}
