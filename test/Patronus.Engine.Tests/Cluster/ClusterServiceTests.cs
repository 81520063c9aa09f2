using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Routing;
using Patronus.Engine.Tests.Failover;
using Patronus.Engine.Tests.Health;
using Patronus.Engine.Tests.TestSupport;

namespace Patronus.Engine.Tests.Cluster;

/// <summary>Two cluster services on one real SQLite store (the lease SQL is the PostgreSQL one, checked there by the contract suite), driven step by step.</summary>
public sealed class ClusterServiceTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero));
    private SqliteStoreWithPath? _store;

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private (ClusterService Service, Leadership Leadership, FakeLogger<ClusterService> Log) Node(string id)
    {
        var leadership = new Leadership(id, _time);
        var log = new FakeLogger<ClusterService>();
        var service = new ClusterService(_store!.Store, leadership, new ClusterMetrics(leadership), Options.Create(new ClusterOptions { AdvertisedUrl = $"http://{id}" }),
            _time, log);
        return (service, leadership, log);
    }

    [Fact]
    public async Task AttemptLeaseAsync_TwoNodes_OneLeads_GracefulStopHandsOverAtOnceWithNextTerm()
    {
        _store = await SqliteStoreWithPath.CreateAsync(_time);
        var (a, aLead, aLog) = Node("a");
        var (b, bLead, _) = Node("b");

        Assert.Equal(LeaseChange.Elected, await a.AttemptLeaseAsync(CancellationToken.None));
        Assert.Equal(LeaseChange.None, await b.AttemptLeaseAsync(CancellationToken.None));
        Assert.Equal((true, 1L, false, 1L), (aLead.IsLeader, aLead.Term, bLead.IsLeader, bLead.Term));
        Assert.Contains(aLog.Collector.GetSnapshot(), r => r.Id.Id == 900);

        var changed = aLead.Changed.Next;
        await a.StopAsync(CancellationToken.None);
        Assert.True(changed.IsCompleted);
        Assert.False(aLead.IsLeader);

        Assert.Equal(LeaseChange.Elected, await b.AttemptLeaseAsync(CancellationToken.None));
        Assert.Equal((true, 2L), (bLead.IsLeader, bLead.Term));
    }

    /// <summary>A store that grants the first attempt, then hangs whatever the token says, as a black-holed PostgreSQL whose driver waits on its cancel request.</summary>
    private sealed class HangsAfterFirstGrant : IClusterStore
    {
        private readonly TaskCompletionSource<LeaseAttempt> _never = new();
        private readonly TaskCompletionSource<ClusterView> _neverView = new();
        private int _attempts;

        public Task<LeaseAttempt> TryAcquireLeaseAsync(string nodeId, TimeSpan duration, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _attempts) == 1 ? Task.FromResult(new LeaseAttempt(true, 1, nodeId)) : _never.Task;

        public Task<bool> ReleaseLeaseAsync(string nodeId, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task HeartbeatAsync(ClusterHeartbeat heartbeat, CancellationToken cancellationToken = default) => _never.Task;

        public Task<ClusterView> GetClusterAsync(TimeSpan nodeTimeout, CancellationToken cancellationToken = default) => _neverView.Task;
    }

    [Fact]
    public async Task AttemptLeaseAsync_StoreHangsIgnoringCancellation_GivenUpAtTheLeaseOnItsOwnClock_SteppedDownPublished()
    {
        var leadership = new Leadership("a", _time);
        var options = new ClusterOptions { AdvertisedUrl = "http://a" };
        var service = new ClusterService(new HangsAfterFirstGrant(), leadership, new ClusterMetrics(leadership), Options.Create(options), _time, new FakeLogger<ClusterService>());
        Assert.Equal(LeaseChange.Elected, await service.AttemptLeaseAsync(CancellationToken.None));
        _time.Advance(options.RenewInterval);

        var changed = leadership.Changed.Next;
        var renewal = service.AttemptLeaseAsync(CancellationToken.None);
        _time.Advance(options.LeaseDuration - TimeSpan.FromMilliseconds(1));
        Assert.False(renewal.IsCompleted);
        Assert.False(leadership.IsLeader); // its deadline (the first attempt's send time + the lease) has passed: it acts on nothing
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // Before the loop bounded the attempt itself, it waited on the driver for as long as it hung.
        Assert.Equal(LeaseChange.SteppedDown, await renewal.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(changed.IsCompleted);
    }

    [Fact]
    public async Task HeartbeatOnceAsync_TwoNodes_BothListedHealthy_HeartbeatsReceivedOnlyWhenNewer()
    {
        _store = await SqliteStoreWithPath.CreateAsync(_time);
        var (a, aLead, _) = Node("a");
        var (b, _, _) = Node("b");
        await a.AttemptLeaseAsync(CancellationToken.None);

        await a.HeartbeatOnceAsync(CancellationToken.None);
        await b.HeartbeatOnceAsync(CancellationToken.None);
        await a.HeartbeatOnceAsync(CancellationToken.None);

        var view = a.LastView!;
        Assert.Equal(["a", "b"], view.Nodes.Select(n => n.NodeId));
        Assert.All(view.Nodes, n => Assert.True(n.Healthy));
        Assert.Equal(("a", 1L), (view.Leader, view.Term));
        Assert.Equal((1L, true), (view.Nodes[0].Term, aLead.IsLeader));
    }
}

/// <summary>The features that only the leader may run, consulting <see cref="ILeadership"/> (docs/ha.md, what runs where).</summary>
public sealed class LeaderOnlyWorkTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);

    private static Leadership Follower(FakeTimeProvider time) => new("f", time);

    private static void Elect(Leadership leadership, long term)
    {
        var state = new LeaseState(TimeSpan.FromHours(1)); // no renewals in these tests: valid throughout
        state.Granted(term, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
        leadership.Publish(state, roleChanged: true);
    }

    [Fact]
    public async Task HealthRecorder_Follower_BucketsNotWritten_AfterElectionWritten()
    {
        var time = new FakeTimeProvider(s_t0);
        var store = FakeHealthStore.Create();
        var leadership = Follower(time);
        using var recorder = new HealthRecorder(store.Store, store.Store, Options.Create(new HealthPersistenceOptions { FlushInterval = TimeSpan.FromSeconds(1) }), time,
            new FakeLogger<HealthRecorder>(), leadership);
        recorder.Record(new PathHealthSample("p1", s_t0.AddSeconds(1), 10, 0, 1, 100, PathStatus.Up));
        time.Advance(TimeSpan.FromSeconds(11));

        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));
        Assert.Empty(store.BucketBatches);
        Assert.Equal(1, recorder.NotLeader);

        Elect(leadership, 1);
        recorder.Record(new PathHealthSample("p1", s_t0.AddSeconds(12), 10, 0, 1, 100, PathStatus.Up));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.FlushOnceAsync(CancellationToken.None));

        Assert.Equal(s_t0.AddSeconds(10), Assert.Single(Assert.Single(store.BucketBatches)).BucketStart);
    }

    /// <summary>The failover service over <paramref name="store"/> with a kernel to sync and <paramref name="leadership"/>, its policies loaded.</summary>
    private static (FailoverService Service, HealthState Health) FailoverWithKernel(TwoLinkStore store, FakeTimeProvider time, Leadership leadership, RecordingRouteApplier kernel)
    {
        var recorder = new FailoverEventRecorder(store.Store, time, NullLogger<FailoverEventRecorder>.Instance, leadership: leadership);
        var health = new HealthState();
        health.SetPaths(store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
        var service = new FailoverService(store.Policies, store.Topology, health, recorder, new FailoverMetrics(), Options.Create(new FailoverOptions()), time,
            NullLogger<FailoverService>.Instance, kernel, leadership);
        service.SyncPoliciesForTest();
        return (service, health);
    }

    [Fact]
    public async Task FailoverService_Follower_KernelUntouched_ElectionSyncsTheWholeTable()
    {
        await using var store = await TwoLinkStore.CreateAsync();
        var time = new FakeTimeProvider(s_t0);
        var leadership = Follower(time);
        var kernel = new RecordingRouteApplier();
        var (service, _) = FailoverWithKernel(store, time, leadership, kernel);

        service.Evaluate();
        Assert.Empty(kernel.Synced);
        Assert.Single(service.Routes.Current.Routes); // the follower plans the table all the same

        Elect(leadership, 4);
        service.Evaluate();

        Assert.Equal(["10.20.0.0/16"], Assert.Single(kernel.Synced).Routes.Select(r => r.Prefix.ToString()));
    }

    [Fact]
    public async Task FailoverService_LeaseLapsesLocally_NothingInstalledFromTheDeadline_ElectedAgainSyncsTheTable()
    {
        await using var store = await TwoLinkStore.CreateAsync(); // policy "to-dc": 10.20.0.0/16, p1 then p2
        var time = new FakeTimeProvider(s_t0);
        var leadership = Follower(time);
        var lease = new LeaseState(TimeSpan.FromSeconds(2)); // the default lease
        var kernel = new RecordingRouteApplier();
        var (service, health) = FailoverWithKernel(store, time, leadership, kernel);
        void Score(string pathId, double score) =>
            health.Publish(new PathHealthSnapshot(pathId, 10, 0, 1, score, HealthScoring.StatusOf(score), time.GetUtcNow(), 1, 1, 1, "test"));
        void Grant(long term) => leadership.Publish(lease, lease.Granted(term, leadership.Clock.Elapsed, leadership.Clock.Elapsed) != LeaseChange.None);
        Score("p1", 100);
        Score("p2", 100);
        Grant(1);
        service.Evaluate();
        Assert.Equal("p1", Assert.Single(Assert.Single(kernel.Synced).Routes).PathId);

        // Renewals stop (store cut off, process paused): nothing is published, but at the local
        // deadline — the last attempt's send time plus the lease, no later than the database's expiry,
        // so before anyone can take over — the node stops installing routes.
        time.Advance(TimeSpan.FromSeconds(2));
        Score("p1", 10);
        service.Evaluate();
        Assert.False(leadership.IsLeader);
        Assert.Equal("p2", Assert.Single(service.Routes.Current.Routes).PathId); // decided and planned
        Assert.Single(kernel.Synced); // not installed

        // Elected again (the next term): the kernel is brought in line at once.
        Grant(2);
        service.Evaluate();
        Assert.Equal("p2", Assert.Single(kernel.Synced[^1].Routes).PathId);
    }
}
