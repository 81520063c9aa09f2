using Dapper;
using Patronus.Engine.Cluster;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;
using Patronus.TestSupport;

namespace Patronus.Persistence.Tests;

/// <summary>Cluster heartbeats, the leader lease and the fence on leader-only writes (migration 10, docs/ha.md).</summary>
public abstract partial class StoreContractTests
{
    /// <summary>Long enough that a lease given in a test does not run out by itself while the test looks at it.</summary>
    private static readonly TimeSpan s_longLease = TimeSpan.FromMinutes(5);

    /// <summary>Short enough that a test waits for it to run out on the database's clock (polled, bounded), long enough to outlast two statements on a loaded machine.</summary>
    private static readonly TimeSpan s_shortLease = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_expiryDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TryAcquireLeaseAsync_FreeLease_FirstHolderGetsTerm1_RenewalKeepsIt_OtherRefused()
    {
        var store = await MigratedStoreAsync();

        Assert.Equal(new LeaseAttempt(true, 1, "a"), await store.TryAcquireLeaseAsync("a", s_longLease));
        Assert.Equal(new LeaseAttempt(true, 1, "a"), await store.TryAcquireLeaseAsync("a", s_longLease));
        Assert.Equal(new LeaseAttempt(false, 1, "a"), await NewStore().TryAcquireLeaseAsync("b", s_longLease));
        Assert.Equal(new LeaseAttempt(true, 1, "a"), await store.TryAcquireLeaseAsync("a", s_longLease));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_ExpiredOnDatabaseClock_OtherTakesOverWithNextTerm()
    {
        var store = await MigratedStoreAsync();
        var other = NewStore();
        Assert.True((await store.TryAcquireLeaseAsync("a", s_shortLease)).Held);
        Assert.False((await other.TryAcquireLeaseAsync("b", s_longLease)).Held);

        await Poll.AssertAsync(async () => (await other.TryAcquireLeaseAsync("b", s_longLease)).Held, s_expiryDeadline, "b acquires once a's lease ran out");

        Assert.Equal(new LeaseAttempt(false, 2, "b"), await store.TryAcquireLeaseAsync("a", s_longLease));
        var view = await store.GetClusterAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(("b", 2L), (view.Leader, view.Term));
    }

    [Fact]
    public async Task ReleaseLeaseAsync_ByHolder_OtherAcquiresAtOnceWithNextTerm_ByOtherNothing()
    {
        var store = await MigratedStoreAsync();
        Assert.True((await store.TryAcquireLeaseAsync("a", s_longLease)).Held);

        Assert.False(await store.ReleaseLeaseAsync("b"));
        Assert.True(await store.ReleaseLeaseAsync("a"));

        Assert.Null((await store.GetClusterAsync(TimeSpan.FromMinutes(1))).Leader);
        Assert.Equal(new LeaseAttempt(true, 2, "b"), await NewStore().TryAcquireLeaseAsync("b", s_longLease));
        Assert.False(await store.ReleaseLeaseAsync("a"));
    }

    [Fact]
    public async Task HeartbeatAsync_TwoNodes_ListedByIdWithRoleInputs_HealthyByAgeOnDatabaseClock()
    {
        var store = await MigratedStoreAsync();
        var started = Start.AddMinutes(-5);
        await store.HeartbeatAsync(new ClusterHeartbeat("b", "http://10.0.0.2:8080", "1.2.3", started, false, 0));
        await store.HeartbeatAsync(new ClusterHeartbeat("a", "http://10.0.0.1:8080", "1.2.3", started, false, 0));
        Assert.True((await store.TryAcquireLeaseAsync("a", s_longLease)).Held);
        await store.HeartbeatAsync(new ClusterHeartbeat("a", "http://10.0.0.1:8080", "1.2.4", started, true, 1));

        var view = await store.GetClusterAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["a", "b"], view.Nodes.Select(n => n.NodeId));
        Assert.Equal(("a", 1L), (view.Leader, view.Term));
        var a = view.Nodes[0];
        Assert.Equal(("http://10.0.0.1:8080", "1.2.4", 1L, started, true), (a.Url, a.Version, a.Term, a.StartedAt, a.Healthy));
        // Stamped by the database (the test's clock is in March 2026): within a minute of its now.
        Assert.InRange(view.Now - a.LastHeartbeat, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.All((await store.GetClusterAsync(TimeSpan.Zero)).Nodes, n => Assert.False(n.Healthy));
    }

    /// <summary>A leadership that holds the lease under whatever term the store granted "a", on the test's clock.</summary>
    private Task<(SqlStore Store, Leadership Leadership)> FencedLeaderAsync(TimeSpan lease) => FencedLeaderAsync("a", lease);

    /// <summary>A leadership that holds the lease for <paramref name="node"/> under whatever term the store granted it, on the test's clock.</summary>
    private async Task<(SqlStore Store, Leadership Leadership)> FencedLeaderAsync(string node, TimeSpan lease)
    {
        var attempt = await Store.TryAcquireLeaseAsync(node, lease);
        Assert.True(attempt.Held);
        var leadership = new Leadership(node, Time);
        var state = new LeaseState(TimeSpan.FromMinutes(10)); // locally valid throughout: the database alone must refuse
        state.Granted(attempt.Term, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
        leadership.Publish(state, roleChanged: true);
        var store = SqlStore.Create(Location, Time, leadership: leadership);
        _stores.Add(store);
        return (store, leadership);
    }

    /// <summary>Lets the lease run out at once, as the database's clock passing its expiry would (deterministic on a loaded machine).</summary>
    private async Task ExpireLeaseAsync()
    {
        await using var connection = await OpenRawAsync();
        await connection.ExecuteAsync("UPDATE cluster_lease SET expires_at = 0");
    }

    [Fact]
    public async Task InsertPathHealthBucketsAsync_LeaseTakenOver_FencedNothingWrittenAndStepsDown()
    {
        await HealthStoreAsync();
        var (leader, leadership) = await FencedLeaderAsync(s_longLease);
        AssertOk(await leader.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 10, 5)]));
        await ExpireLeaseAsync();
        Assert.True((await NewStore().TryAcquireLeaseAsync("b", s_longLease)).Held);

        var result = await leader.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.FromSeconds(10), 10, 5)]);

        AssertStatus(StoreStatus.Fenced, result, "term 1");
        Assert.Single(await Store.GetPathHealthBucketsAsync("p1", HealthResolution.TenSeconds, Start, Start.AddHours(1), 10));
        Assert.False(leadership.IsLeader);
        Assert.Equal(1, leadership.RefusedWrites);
    }

    [Fact]
    public async Task LeaderOnlyWrites_LeaseExpiredButNotTaken_FencedOnDatabaseClock()
    {
        await HealthStoreAsync();
        var (leader, _) = await FencedLeaderAsync(s_shortLease);
        await Poll.AssertAsync(async () => (await Store.GetClusterAsync(TimeSpan.FromMinutes(1))).Leader is null, s_expiryDeadline, "a's lease runs out");

        AssertStatus(StoreStatus.Fenced, await leader.InsertPathEventsAsync([StatusEvent("p1", 0, null, PathStatus.Up)]));
        AssertStatus(StoreStatus.Fenced, await leader.InsertPathHealthAsync([new PathHealthSample("p1", Start, 1, 0, 0, 100, PathStatus.Up)]));
        AssertStatus(StoreStatus.Fenced, await leader.InsertFailoverEventsAsync([new(new(1, Engine.Failover.FailoverEventType.FailoverTriggered, "p1", "p2", "r", Start), null)]));
        Assert.Equal(0, await CountAsync("sdwan_path_events"));
        Assert.Equal(0, await CountAsync("sdwan_path_health"));
    }

    [Fact]
    public async Task DeleteHealthBeforeAsync_NotLeader_NothingDeleted_LeaderDeletes()
    {
        await HealthStoreAsync();
        AssertOk(await Store.InsertPathEventsAsync([StatusEvent("p1", 0, null, PathStatus.Up)]));
        var follower = SqlStore.Create(Location, Time, leadership: new Leadership("b", Time));
        _stores.Add(follower);

        Assert.Equal(0, await follower.DeletePathEventsBeforeAsync(Start.AddDays(1)));
        Assert.Equal(1, await CountAsync("sdwan_path_events"));

        var (leader, _) = await FencedLeaderAsync(s_longLease);
        Assert.Equal(1, await leader.DeletePathEventsBeforeAsync(Start.AddDays(1)));
    }

    [Fact]
    public async Task LeaderOnlyWrites_SingleNodeLeadership_WrittenWithoutALease()
    {
        await HealthStoreAsync();
        var single = SqlStore.Create(Location, Time, leadership: Leadership.SingleNode("solo", Time));
        _stores.Add(single);

        AssertOk(await single.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 10, 5)]));
        AssertOk(await single.InsertPathEventsAsync([StatusEvent("p1", 0, null, PathStatus.Up)]));
        Assert.Null((await single.GetClusterAsync(TimeSpan.FromMinutes(1))).Leader);
    }

    /// <summary>The terms recorded in <paramref name="table"/>, one per row (NULL as -1), ascending.</summary>
    private async Task<long[]> TermsAsync(string table)
    {
        await using var connection = await OpenRawAsync();
        return [.. await connection.QueryAsync<long>($"SELECT COALESCE(term, -1) FROM {table} ORDER BY 1")];
    }

    [Fact]
    public async Task LeaderOnlyWrites_RowsRecordTheTermTheyWereWrittenUnder_StaleLeadersWriteLeavesNoRowOfItsTerm()
    {
        await HealthStoreAsync("p2");
        var (_, policyId) = await Store.InsertFailoverPolicyAsync(Policy("to-dc", "p1", ["p2"]));
        var (leader, _) = await FencedLeaderAsync(s_longLease);
        var failover = new Engine.Failover.FailoverEventRecord(new(policyId, Engine.Failover.FailoverEventType.FailoverTriggered, "p1", "p2", "r", Start), null);
        AssertOk(await leader.InsertPathHealthAsync([new PathHealthSample("p1", Start, 1, 0, 0, 100, PathStatus.Up)]));
        AssertOk(await leader.InsertPathEventsAsync([StatusEvent("p1", 0, null, PathStatus.Up)]));
        AssertOk(await leader.InsertFailoverEventsAsync([failover]));
        AssertOk(await leader.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 10, 5)]));

        // b takes over (term 2) and writes; a, deposed but locally still sure it leads, writes again.
        await ExpireLeaseAsync();
        var (next, nextLeadership) = await FencedLeaderAsync("b", s_longLease);
        AssertOk(await next.InsertPathHealthAsync([new PathHealthSample("p1", Start.AddSeconds(1), 1, 0, 0, 100, PathStatus.Up)]));
        AssertOk(await next.InsertFailoverEventsAsync([failover]));
        AssertOk(await next.InsertPathHealthBucketsAsync([TenSeconds("p2", TimeSpan.Zero, 10, 5)]));
        AssertStatus(StoreStatus.Fenced, await leader.InsertPathHealthAsync([new PathHealthSample("p1", Start.AddSeconds(2), 1, 0, 0, 100, PathStatus.Up)]));
        AssertStatus(StoreStatus.Fenced, await leader.InsertFailoverEventsAsync([failover]));
        AssertStatus(StoreStatus.Fenced, await leader.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.FromSeconds(10), 10, 5)]));

        // What the SIGSTOP lab asserts on the real cluster: the deposed term's rows are exactly those written before the takeover.
        Assert.Equal(new long[] { 1, 2 }, await TermsAsync("sdwan_path_health"));
        Assert.Equal(new long[] { 1 }, await TermsAsync("sdwan_path_events"));
        Assert.Equal(new long[] { 1, 2 }, await TermsAsync("sdwan_failover_events"));
        Assert.Equal(new long[] { 1, 2 }, await TermsAsync("sdwan_path_health_10s"));
        Assert.Equal(2, nextLeadership.Term);
    }

    [Fact]
    public async Task LeaderOnlyWrites_SingleNodeRecordsTerm1_NoLeadershipRecordsNull()
    {
        await HealthStoreAsync();
        var single = SqlStore.Create(Location, Time, leadership: Leadership.SingleNode("solo", Time));
        _stores.Add(single);

        AssertOk(await single.InsertPathHealthAsync([new PathHealthSample("p1", Start, 1, 0, 0, 100, PathStatus.Up)]));
        AssertOk(await Store.InsertPathHealthAsync([new PathHealthSample("p1", Start.AddSeconds(1), 1, 0, 0, 100, PathStatus.Up)]));

        Assert.Equal(new long[] { -1, 1 }, await TermsAsync("sdwan_path_health"));
    }

    [Fact]
    public async Task RollupAsync_Fenced_BlocksRecordTheRollupsTerm()
    {
        await HealthStoreAsync();
        var (leader, _) = await FencedLeaderAsync(s_longLease);
        AssertOk(await leader.InsertPathHealthBucketsAsync([TenSeconds("p1", TimeSpan.Zero, 10, 5)]));

        Assert.True(await leader.RollupAsync(HealthResolution.Minute, Start.AddMinutes(2)) > 0);

        Assert.Equal(new long[] { 1 }, await TermsAsync("sdwan_path_health_1m_blocks"));
    }
}
