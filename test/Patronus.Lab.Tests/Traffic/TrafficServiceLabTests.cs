using System.Globalization;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Traffic;

/// <summary>
/// The accounting service's published snapshot (<see cref="ITrafficSource"/>) against the kernel,
/// in the failover lab's namespaces with the service in-process (<see cref="InProcessAccounting"/>)
/// and no Patronus in the edge: the only IP packets leaving wan1/wan2 are the test's pings, so
/// policy and path counts are exact. The route failover would install (10.240.20.0/24 via wan1)
/// is added by hand. Then: a policy added (rebuild in place: no counter reset), the table deleted
/// behind the service's back (recreated: totals carried over), and the stop (table removed).
/// </summary>
public sealed class TrafficServiceLabTests(ITestOutputHelper output)
{
    private const int PingSize = 1000;
    private const ulong IpLength = PingSize + AcctCounters.IcmpOverhead;

    /// <summary>Fast reads keep the test short; the product default is 1 s.</summary>
    private static readonly TimeSpan s_readInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Both ways of reading the counters: over netlink (serve's default) and through nft (<c>Traffic:NftPath</c> set).</summary>
    [LabTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Snapshot_PingsThroughEdge_ExactPerPolicyAndPath_AcrossRebuildAndRecreate(bool netlink)
    {
        await using var lab = NetLab.Create(output);
        await using var wan = await WanLab.BuildAsync(lab, bfd: false);
        await lab.MustExecAsync(wan.Edge, "ip", "route", "replace", WanLab.Prefix, "via", "10.240.1.2", "dev", "wan1");
        await using var acct = await InProcessAccounting.StartAsync(lab, wan, output, s_readInterval, netlink);
        var policy = acct.PolicyId("to-server");
        var counter = $"policy_{policy.ToString(CultureInfo.InvariantCulture)}";

        var s0 = await acct.WaitAsync(DateTimeOffset.MinValue, s => s.Policies.ContainsKey(policy), "first snapshot");
        Assert.Null(acct.Service.Unavailable);
        Assert.Equal("oifname \"wan1\" rt ip nexthop 10.240.1.2", s0.Paths["p1"].Match);
        Assert.True(await AcctCounters.TableExistsAsync(lab, wan.Edge));

        // 1. Pings to the policy's prefix: exact in the policy and p1, nothing on p2; the snapshot
        //    equals the kernel's counters (no rebuild yet); one active flow (one ICMP id).
        var s1 = await PingAndReadAsync(acct, wan, 20);
        AssertGrowth(s0, s1, policy, 20);
        var kernel = (await AcctCounters.ReadAsync(lab, wan.Edge))!;
        Assert.Equal(new Count(s1.Policies[policy].Packets, s1.Policies[policy].Bytes), kernel[counter]);
        Assert.Equal(new Count(s1.Paths["p1"].Packets!.Value, s1.Paths["p1"].Bytes!.Value), kernel["path_p1"]);
        var flows = await acct.WaitAsync(s1.ReadAt!.Value, s => s.FlowsReadAt > s1.ReadAt, "flows read after the ping");
        Assert.Equal((1L, (string?)null), (flows.Policies[policy].ActiveFlows, flows.Policies[policy].FlowsUnavailable));
        Assert.Null(flows.Paths["p1"].ActiveFlows);
        output.WriteLine($"after 20 pings: policy {Show(s1.Policies[policy])}, p1 {Show(s1.Paths["p1"])}, p2 {Show(s1.Paths["p2"])}, flows {flows.Policies[policy].ActiveFlows}");

        // 2. A second policy: the table is rebuilt in place, the first policy's kernel counter is not reset.
        var added = DateTimeOffset.UtcNow;
        long other = 0;
        Assert.True((await acct.Policies.WriteAsync(async (s, ct) =>
        {
            var (result, id) = await s.InsertFailoverPolicyAsync(InProcessAccounting.Policy("to-other", "10.240.30.0/24") with { Source = ItemSource.Api }, ct);
            other = id;
            return result;
        })).Succeeded);
        var s2 = await acct.WaitAsync(added, s => s.Policies.ContainsKey(other), "snapshot with the second policy");
        Assert.Equal(kernel[counter], (await AcctCounters.ReadAsync(lab, wan.Edge))![counter]);
        Assert.Equal(s1.Policies[policy].Bytes, s2.Policies[policy].Bytes);
        Assert.Equal((0UL, 0UL), (s2.Policies[other].Bytes, s2.Policies[other].Packets));

        var s3 = await PingAndReadAsync(acct, wan, 10);
        AssertGrowth(s2, s3, policy, 10);

        // 3. Someone deletes the table: the service recreates it (kernel counters from zero) and the
        //    totals carry on from where they were, never backwards.
        // The clock starts once the table is gone: a snapshot read between a timestamp taken
        // before the delete and the delete itself satisfied the wait below, and the first ping
        // then crossed the edge before the table was back (6 of 7 counted, once in a full run).
        await lab.NftAsync(wan.Edge, $"delete table inet {AcctCounters.Table}");
        var deleted = DateTimeOffset.UtcNow;
        var s4 = await acct.WaitAsync(deleted, s => (s.Policies.GetValueOrDefault(policy)?.Bytes ?? 0) >= s3.Policies[policy].Bytes, "snapshot after the recreate");
        Assert.True(await AcctCounters.TableExistsAsync(lab, wan.Edge));
        Assert.Equal(s3.Policies[policy].Bytes, s4.Policies[policy].Bytes);

        var s5 = await PingAndReadAsync(acct, wan, 7);
        AssertGrowth(s4, s5, policy, 7);
        Assert.Equal(new Count(7, 7 * IpLength), (await AcctCounters.ReadAsync(lab, wan.Edge))![counter]);
        output.WriteLine($"after 20 + 10 + 7 pings and a recreate: policy {Show(s5.Policies[policy])} (kernel: 7 packets), p1 {Show(s5.Paths["p1"])}");
        Assert.Equal(new Count(37, 37 * IpLength), new Count(s5.Policies[policy].Packets, s5.Policies[policy].Bytes));

        // 4. Stop: the table goes.
        await acct.Service.StopAsync(CancellationToken.None);
        Assert.False(await AcctCounters.TableExistsAsync(lab, wan.Edge));
    }

    /// <summary>Pings the server <paramref name="count"/> times from the LAN, then waits for a snapshot read after the last echo.</summary>
    private async Task<TrafficSnapshot> PingAndReadAsync(InProcessAccounting acct, WanLab wan, int count)
    {
        var (_, received) = await AcctCounters.PingAsync(wan.Lab, wan.Lan, WanLab.Server, count, PingSize);
        output.WriteLine($"ping -c {count} -s {PingSize}: {received} replies");
        return await acct.WaitAsync(DateTimeOffset.UtcNow, _ => true, $"snapshot after {count} pings");
    }

    private static void AssertGrowth(TrafficSnapshot before, TrafficSnapshot after, long policy, int pings)
    {
        var expected = new Count((ulong)pings, (ulong)pings * IpLength);
        Assert.Equal(expected, Of(after.Policies[policy]) - Of(before.Policies[policy]));
        Assert.Equal(expected, Of(after.Paths["p1"]) - Of(before.Paths["p1"]));
        Assert.Equal(new Count(0, 0), Of(after.Paths["p2"]) - Of(before.Paths["p2"]));
    }

    private static Count Of(PolicyTraffic p) => new(p.Packets, p.Bytes);

    private static Count Of(PathTraffic p) => new(p.Packets!.Value, p.Bytes!.Value);

    private static string Show(PolicyTraffic p) => Of(p).ToString();

    private static string Show(PathTraffic p) => Of(p).ToString();
}
