using Patronus.TestSupport;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>The accounting loop with a fake nft and a manual clock (never a sleep): see <see cref="TrafficHarness"/>.</summary>
public sealed class TrafficAccountingServiceTests
{
    [Fact]
    public async Task Start_Root_CreatesTheTableAndPublishesZeroesAtOnce()
    {
        await using var h = await TrafficHarness.StartAsync();

        Assert.Null(h.Service.Unavailable);
        var snapshot = h.Service.Current;
        Assert.Equal(TrafficHarness.Start, snapshot.ReadAt);
        var policy = snapshot.Policies[h.PolicyId];
        Assert.Equal(("to-dc", 0UL, 0UL), (policy.Name, policy.Bytes, policy.Packets));
        Assert.Equal(["p1", "p2"], snapshot.Paths.Keys.Order());
        Assert.Equal("oifname \"wan1\" rt ip nexthop 10.0.1.1", snapshot.Paths["p1"].Match);
        Assert.Equal((0UL, 0UL), (snapshot.Paths["p1"].Bytes, snapshot.Paths["p1"].Packets));
        Assert.Empty(snapshot.Paths["p1"].SharedWith);
        Assert.Null(snapshot.Paths["p1"].ActiveFlows);
        Assert.Equal(TrafficSnapshot.PathFlowsUnavailable, snapshot.Paths["p1"].FlowsUnavailable);
        Assert.StartsWith("# Patronus traffic accounting (docs/traffic.md): replace the table", Assert.Single(h.Nft.Scripts), StringComparison.Ordinal);
        Assert.Contains(h.Logger.Collector.GetSnapshot(), e => e.Id.Id == 6201 && e.Message.Contains("1 policies, 2 of 2 paths counted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tick_EveryReadInterval_PublishesTheKernelsCounts()
    {
        await using var h = await TrafficHarness.StartAsync();
        h.Nft.Count(h.PolicyCounter, 3, 3 * 1028);
        h.Nft.Count("path_p1", 5, 3 * 1028 + 2 * 72);

        var lists = h.Nft.Lists;
        h.Clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(lists, h.Nft.Lists); // not before the interval
        var snapshot = await h.TickAsync(TimeSpan.FromMilliseconds(1));

        Assert.Equal(TrafficHarness.Start.AddSeconds(1), snapshot.ReadAt);
        Assert.Equal((3084UL, 3UL), (snapshot.Policies[h.PolicyId].Bytes, snapshot.Policies[h.PolicyId].Packets));
        Assert.Equal((3228UL, 5UL), (snapshot.Paths["p1"].Bytes, snapshot.Paths["p1"].Packets));
        Assert.Equal((0UL, 0UL), (snapshot.Paths["p2"].Bytes, snapshot.Paths["p2"].Packets));

        snapshot = await h.TickAsync();
        Assert.Equal(TrafficHarness.Start.AddSeconds(2), snapshot.ReadAt);
    }

    [Fact]
    public async Task Tick_NothingCounted_ReusesThePathsOfTheLastSnapshot_ACountedPathGetsANewEntryAlone()
    {
        await using var h = await TrafficHarness.StartAsync();
        var first = await h.TickAsync();

        // Nothing moved: a new snapshot (ReadAt advances) over the very same path entries.
        var second = await h.TickAsync();
        Assert.Equal(first.ReadAt!.Value.AddSeconds(1), second.ReadAt);
        Assert.Same(first.Paths, second.Paths);

        // p1 counted packets: its entry is new and right, p2's is the old one.
        h.Nft.Count("path_p1", 5, 3 * 1028 + 2 * 72);
        var third = await h.TickAsync();
        Assert.NotSame(second.Paths, third.Paths);
        Assert.Equal((3228UL, 5UL), (third.Paths["p1"].Bytes, third.Paths["p1"].Packets));
        Assert.Equal(second.Paths["p1"] with { Bytes = 3228, Packets = 5 }, third.Paths["p1"]);
        Assert.Same(second.Paths["p2"], third.Paths["p2"]);
        Assert.Equal((0UL, 0UL), (second.Paths["p1"].Bytes, second.Paths["p1"].Packets)); // published snapshots never change
    }

    [Fact]
    public async Task PolicyAdded_RebuiltInPlace_NewCounterAtZeroOthersKeepCounting()
    {
        await using var h = await TrafficHarness.StartAsync();
        h.Nft.Count(h.PolicyCounter, 10, 1000);
        await h.TickAsync();

        var published = h.Service.Published;
        var id = await h.AddPolicyAsync("to-branch", "2001:db8:20::/48");
        await published.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, h.Nft.Scripts.Count);
        Assert.StartsWith("# Patronus traffic accounting (docs/traffic.md): rebuild in place", h.Nft.Scripts[1], StringComparison.Ordinal);
        Assert.Contains($"ip6 daddr 2001:db8:20::/48 counter name \"policy_{id}\" return", h.Nft.Scripts[1], StringComparison.Ordinal);
        h.Nft.Count(h.PolicyCounter, 1, 100);
        h.Nft.Count($"policy_{id}", 2, 200);
        var snapshot = await h.TickAsync();
        Assert.Equal(11UL, snapshot.Policies[h.PolicyId].Packets);
        Assert.Equal((200UL, 2UL), (snapshot.Policies[id].Bytes, snapshot.Policies[id].Packets));
        Assert.Equal("to-branch", snapshot.Policies[id].Name);
    }

    [Fact]
    public async Task PolicyRemoved_RebuiltInPlace_ItsCounterDeletedAndGoneFromTheSnapshot()
    {
        await using var h = await TrafficHarness.StartAsync();
        var published = h.Service.Published;
        var id = await h.AddPolicyAsync("to-branch", "10.30.0.0/16");
        await published.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(id, h.Service.Current.Policies.Keys);

        published = h.Service.Published;
        Assert.True((await h.Policies.WriteAsync((s, ct) => s.DeleteFailoverPolicyAsync(id, ct))).Succeeded);
        await published.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains($"delete counter inet patronus_acct policy_{id}", h.Nft.Scripts[^1], StringComparison.Ordinal);
        Assert.DoesNotContain($"policy_{id}", h.Nft.Counters.Keys);
        Assert.Equal([h.PolicyId], h.Service.Current.Policies.Keys);
    }

    [Fact]
    public async Task TableDeletedBySomeoneElse_RecreatedTotalsCarriedNeverBackwards()
    {
        await using var h = await TrafficHarness.StartAsync();
        h.Nft.Count(h.PolicyCounter, 5, 500);
        var totals = new List<ulong> { (await h.TickAsync()).Policies[h.PolicyId].Bytes };

        h.Nft.DeleteTable();
        h.Clock.Advance(TimeSpan.FromSeconds(1)); // the read fails: nothing published, the last snapshot stays
        await h.WaitForLogAsync(6205);
        Assert.Equal(500UL, h.Service.Current.Policies[h.PolicyId].Bytes);
        Assert.Null(h.Service.Unavailable);

        var snapshot = await h.TickAsync(); // recreated, then read from zero
        totals.Add(snapshot.Policies[h.PolicyId].Bytes);
        Assert.True(h.Nft.TableExists);
        Assert.StartsWith("# Patronus traffic accounting (docs/traffic.md): replace the table", h.Nft.Scripts[^1], StringComparison.Ordinal);
        h.Nft.Count(h.PolicyCounter, 2, 200);
        totals.Add((await h.TickAsync()).Policies[h.PolicyId].Bytes);

        Assert.Equal([500UL, 500UL, 700UL], totals);
        Assert.Equal(7UL, h.Service.Current.Policies[h.PolicyId].Packets);
    }

    [Fact]
    public async Task CounterResetOutsidePatronus_TotalCarriesTheLastReading()
    {
        await using var h = await TrafficHarness.StartAsync();
        h.Nft.Count(h.PolicyCounter, 5, 500);
        await h.TickAsync();

        // `nft reset counters` by an operator: the kernel's value drops to zero, then traffic goes on.
        h.Nft.Count(h.PolicyCounter, unchecked((ulong)-5), unchecked((ulong)-500));
        h.Nft.Count(h.PolicyCounter, 1, 100);
        var snapshot = await h.TickAsync();

        Assert.Equal((600UL, 6UL), (snapshot.Policies[h.PolicyId].Bytes, snapshot.Policies[h.PolicyId].Packets));
        Assert.Contains(h.Logger.Collector.GetSnapshot(), e => e.Id.Id == 6208);
    }

    [Theory]
    [InlineData("{\"nftables\": [{\"counter\": {\"name\": ")]
    [InlineData("Segmentation fault")]
    [InlineData("{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"path_p1\", \"table\": \"patronus_acct\", \"packets\": -4, \"bytes\": 1}}]}")]
    public async Task MalformedOutput_LoggedLastSnapshotKept_NextGoodReadPublishes(string output)
    {
        await using var h = await TrafficHarness.StartAsync();
        h.Nft.Count(h.PolicyCounter, 5, 500);
        var before = await h.TickAsync();

        h.Nft.NextListOutput = output;
        h.Nft.Count(h.PolicyCounter, 1, 100);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.WaitForLogAsync(6205);
        Assert.Same(before, h.Service.Current);
        Assert.Contains(h.Logger.Collector.GetSnapshot(), e => e.Id.Id == 6205 && e.Message.Contains("malformed nft output", StringComparison.Ordinal));

        var after = await h.TickAsync();
        Assert.Equal(600UL, after.Policies[h.PolicyId].Bytes);
    }

    [Fact]
    public async Task KernelRefusesTheTable_UnavailableWithItsWords_RetriedEachInterval()
    {
        await using var h = await TrafficHarness.StartAsync(setUp: h => h.Nft.FailScripts = "Error: Could not process rule: Operation not supported");

        Assert.Equal("the kernel refused the accounting table: Error: Could not process rule: Operation not supported", h.Service.Unavailable);
        Assert.Same(TrafficSnapshot.Empty, h.Service.Current);

        h.Nft.FailScripts = null;
        var snapshot = await h.TickAsync();
        Assert.Null(h.Service.Unavailable);
        Assert.Equal(0UL, snapshot.Policies[h.PolicyId].Bytes);
    }

    [Theory]
    [InlineData(false, true, "disabled by configuration (Traffic:Enabled=false)")]
    [InlineData(true, false, "not running as root: nftables counters need CAP_NET_ADMIN")]
    public async Task Off_UnavailableWithTheReason_NoNftRunNoValues(bool enabled, bool privileged, string reason)
    {
        await using var h = await TrafficHarness.StartAsync(new TrafficOptions { Enabled = enabled }, privileged);
        await h.Service.ExecuteTask!;

        Assert.Equal(reason, h.Service.Unavailable);
        Assert.Same(TrafficSnapshot.Empty, h.Service.Current);
        Assert.Empty(h.Nft.Scripts);
        Assert.Equal(0, h.Nft.Lists);
        Assert.Contains(h.Logger.Collector.GetSnapshot(), e => e.Id.Id == 6200 && e.Level == Microsoft.Extensions.Logging.LogLevel.Information && e.Message.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NftMissing_Unavailable()
    {
        await using var h = await TrafficHarness.StartAsync(new TrafficOptions { NftPath = "/nonexistent/nft" }, setUp: h => h.WithoutFakeNft = true);
        await h.Service.ExecuteTask!;

        Assert.Equal("nft not found at /nonexistent/nft (Traffic:NftPath)", h.Service.Unavailable);
    }

    [Fact]
    public async Task Stop_RemovesTheTable()
    {
        var h = await TrafficHarness.StartAsync();
        Assert.True(h.Nft.TableExists);

        await h.DisposeAsync();

        Assert.False(h.Nft.TableExists);
        Assert.Equal("delete table inet patronus_acct\n", h.Nft.Scripts[^1]);
    }

    [Fact]
    public async Task Flows_ConntrackEntriesPerPolicy_ReadEveryFlowInterval()
    {
        await using var h = await TrafficHarness.StartAsync(setUp: h => h.Conntrack =
        [
            "ipv4     2 tcp      6 299 ESTABLISHED src=10.1.0.2 dst=10.20.0.5 sport=1 dport=443 src=10.20.0.5 dst=10.1.0.2 sport=443 dport=1 [ASSURED] mark=0 zone=0 use=2",
            "ipv4     2 udp      17 29 src=10.1.0.2 dst=10.20.9.9 sport=5 dport=53 [UNREPLIED] src=10.20.9.9 dst=10.1.0.2 sport=53 dport=5 mark=0 zone=0 use=2",
            "ipv4     2 tcp      6 100 TIME_WAIT src=10.1.0.2 dst=10.20.0.5 sport=2 dport=443 src=10.20.0.5 dst=10.1.0.2 sport=443 dport=2 [ASSURED] mark=0 zone=0 use=2",
            "ipv4     2 icmp     1 29 src=10.1.0.2 dst=192.0.2.1 type=8 code=0 id=1 src=192.0.2.1 dst=10.1.0.2 type=0 code=0 id=1 mark=0 zone=0 use=2",
        ]);

        var policy = h.Service.Current.Policies[h.PolicyId];
        Assert.Equal((2L, (string?)null), (policy.ActiveFlows, policy.FlowsUnavailable));
        Assert.Equal(TrafficHarness.Start, h.Service.Current.FlowsReadAt);
        Assert.Contains("ct state new", h.Nft.Scripts[0], StringComparison.Ordinal);

        h.Conntrack!.Clear();
        Assert.Equal(2L, (await h.TickAsync(TimeSpan.FromSeconds(4))).Policies[h.PolicyId].ActiveFlows); // not due yet
        var snapshot = await h.TickAsync();
        Assert.Equal(0L, snapshot.Policies[h.PolicyId].ActiveFlows);
        Assert.Equal(TrafficHarness.Start.AddSeconds(5), snapshot.FlowsReadAt);
    }

    [Fact]
    public async Task Flows_NoPolicy_ConntrackLeftOffUntilTheFirstPolicy()
    {
        await using var h = await TrafficHarness.StartAsync(withPolicy: false);
        await h.TickAsync(TimeSpan.FromSeconds(5));

        Assert.DoesNotContain("ct state", h.Nft.Scripts[^1], StringComparison.Ordinal); // no conntrack lookup per packet for nothing
        Assert.Equal(0, h.ConntrackReads);

        var published = h.Service.Published;
        var id = await h.AddPolicyAsync("to-branch", "10.30.0.0/16");
        await published.WaitAsync(TimeSpan.FromSeconds(10));
        var snapshot = await h.TickAsync();

        Assert.Contains("ct state new", h.Nft.Scripts[^1], StringComparison.Ordinal);
        Assert.True(h.ConntrackReads > 0);
        Assert.Equal((0L, (string?)null), (snapshot.Policies[id].ActiveFlows, snapshot.Policies[id].FlowsUnavailable));
    }

    [Fact]
    public async Task Flows_NoConntrackFile_NullWithTheReason()
    {
        await using var h = await TrafficHarness.StartAsync(setUp: h => h.Conntrack = null);

        var policy = h.Service.Current.Policies[h.PolicyId];
        Assert.Null(policy.ActiveFlows);
        Assert.Contains("/proc/net/nf_conntrack does not exist", policy.FlowsUnavailable, StringComparison.Ordinal);
        Assert.Equal(0UL, policy.Bytes); // the counters do not depend on conntrack
    }

    [Fact]
    public async Task Flows_Disabled_NoConntrackRuleNullWithTheReason()
    {
        await using var h = await TrafficHarness.StartAsync(new TrafficOptions { Flows = false });

        var policy = h.Service.Current.Policies[h.PolicyId];
        Assert.Equal((null, "disabled by configuration (Traffic:Flows=false)"), (policy.ActiveFlows, policy.FlowsUnavailable));
        Assert.DoesNotContain("ct state", h.Nft.Scripts[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task Flows_WallClockStep_ReadEveryFlowIntervalOfElapsedTime(int hours)
    {
        await using var h = await TrafficHarness.StartAsync(setUp: h => h.Conntrack =
        [
            "ipv4     2 tcp      6 299 ESTABLISHED src=10.1.0.2 dst=10.20.0.5 sport=1 dport=443 src=10.20.0.5 dst=10.1.0.2 sport=443 dport=1 [ASSURED] mark=0 zone=0 use=2",
        ]);
        Assert.Equal(1L, h.Service.Current.Policies[h.PolicyId].ActiveFlows);

        h.Clock.StepWallClock(TimeSpan.FromHours(hours));
        h.Conntrack!.Clear();
        Assert.Equal(1L, (await h.TickAsync(TimeSpan.FromSeconds(4))).Policies[h.PolicyId].ActiveFlows); // not due: a step forward is no time passing

        // The 4 s advance is several ticks, and TickAsync returns at the first publication: let the
        // loop finish the last one first, or the next TickAsync may return on that publication
        // (seen on a loaded box) instead of the one 5 s in.
        var fourSeconds = TrafficHarness.Start.AddSeconds(4).AddHours(hours);
        Assert.True(await Poll.UntilAsync(() => h.Service.Current.ReadAt == fourSeconds, TimeSpan.FromSeconds(10)),
            $"the loop did not catch up to 4 s (read at {h.Service.Current.ReadAt:O})");
        Assert.Equal(1L, h.Service.Current.Policies[h.PolicyId].ActiveFlows);
        var snapshot = await h.TickAsync();

        // Due after 5 s of elapsed time, not stalled for the hour of a step back; stamped with the stepped wall clock.
        Assert.Equal(0L, snapshot.Policies[h.PolicyId].ActiveFlows);
        Assert.Equal(TrafficHarness.Start.AddSeconds(5).AddHours(hours), snapshot.FlowsReadAt);
        Assert.Equal(TrafficHarness.Start.AddSeconds(5).AddHours(hours), snapshot.ReadAt);
    }
}
