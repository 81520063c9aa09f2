using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Tests.Failover;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Cluster;

/// <summary>
/// The relay of the leader's events (docs/ha.md, live events on every node), driven step by step
/// over a real SQLite store and a channel that records what is sent (no listener, no loop).
/// </summary>
public sealed class ClusterRelayServiceTests : IAsyncDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(s_t0);
    private TwoLinkStore? _store;

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private sealed class RecordingChannel : IClusterChannel
    {
        public List<string> Sent { get; } = [];

        public Task NotifyAsync(string payload, CancellationToken cancellationToken = default)
        {
            Sent.Add(payload);
            return Task.CompletedTask;
        }

        public Task ListenAsync(Func<CancellationToken, Task> onListening, Action<string> onMessage, CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken);

        public List<ClusterMessage> Decoded() => [.. Sent.Select(p =>
        {
            Assert.True(ClusterMessageCodec.TryDecode(p, out var m));
            return m;
        })];
    }

    private sealed record Node(ClusterRelayService Relay, ClusterFeed Feed, HealthState Health, Leadership Leadership, RecordingChannel Channel, FailoverService Failover);

    private async Task<Node> NodeAsync(string id, long? leaderTerm = null)
    {
        _store ??= await TwoLinkStore.CreateAsync();
        var leadership = new Leadership(id, _time);
        if (leaderTerm is { } term)
        {
            var state = new LeaseState(TimeSpan.FromHours(1)); // no renewals in these tests: valid throughout
            state.Granted(term, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
            leadership.Publish(state, roleChanged: true);
        }

        var health = new HealthState();
        health.SetPaths(_store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
        var recorder = new FailoverEventRecorder(_store.Store, _time, NullLogger<FailoverEventRecorder>.Instance, leadership: leadership);
        var failover = new FailoverService(_store.Policies, _store.Topology, health, recorder, new FailoverMetrics(), Options.Create(new FailoverOptions()), _time,
            NullLogger<FailoverService>.Instance, leadership: leadership);
        var feed = new ClusterFeed(leadership, health, failover, relayed: true);
        var channel = new RecordingChannel();
        var relay = new ClusterRelayService(channel, _store.Store, feed, leadership, health, failover, recorder, new ClusterMetrics(leadership), _time,
            new FakeLogger<ClusterRelayService>());
        return new Node(relay, feed, health, leadership, channel, failover);
    }

    private FailoverEventRecord Event(string reason) =>
        new(new FailoverEvent(_store!.PolicyId, FailoverEventType.FailoverTriggered, "p1", "p2", reason, s_t0), null);

    private static PathHealthSnapshot Measured(string pathId, double latency) =>
        new(pathId, latency, 0, 0.5, 100, PathStatus.Up, s_t0, 1, 1, 1, "ok");

    [Fact]
    public async Task CatchUpAsync_ListenerWasAway_EventsStoredMeanwhileDeliveredOnReconnectInOrderOnce()
    {
        var follower = await NodeAsync("f");
        Assert.True((await _store!.Store.InsertFailoverEventsAsync([Event("before start")])).Succeeded);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = follower.Feed.FailoverEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = events.MoveNextAsync(); // subscribed before anything is relayed

        await follower.Relay.OnListeningAsync(CancellationToken.None); // first connection: the cursor goes to the newest event
        Assert.False(first.IsCompleted);

        // The listener is away: the leader stores two events and its signal is lost to this node.
        Assert.True((await _store.Store.InsertFailoverEventsAsync([Event("one"), Event("two")])).Succeeded);
        Assert.False(first.IsCompleted);

        await follower.Relay.OnListeningAsync(CancellationToken.None); // listening again: reads what was stored meanwhile
        await follower.Relay.CatchUpAsync(CancellationToken.None); // and a later catch-up finds nothing new

        Assert.True(await first);
        var one = events.Current;
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(["one", "two"], new[] { one, events.Current }.Select(e => e.Event.Reason));
        Assert.True(one.EventId > 0 && events.Current.EventId == one.EventId + 1, "stored events carry their ids");
        Assert.Equal(events.Current.EventId, follower.Relay.Cursor);
        var none = events.MoveNextAsync();
        Assert.False(none.IsCompleted, "each event once");

        // A follower asks the leader for its whole health at every (re)connection.
        Assert.Equal([ClusterMessageKind.Resync, ClusterMessageKind.Resync], follower.Channel.Decoded().Select(m => m.Kind));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => none.AsTask());
    }

    [Fact]
    public async Task Handle_FailoverWrittenSignal_WakesTheCatchUp()
    {
        var follower = await NodeAsync("f");
        await follower.Relay.OnListeningAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = follower.Relay.StartAsync(cts.Token); // the loops, with the catch-up interval never reached on the fake clock
        try
        {
            await using var events = follower.Feed.FailoverEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var next = events.MoveNextAsync();
            Assert.True((await _store!.Store.InsertFailoverEventsAsync([Event("decided by the leader")])).Succeeded);

            follower.Relay.Received(ClusterMessageCodec.EncodeSignal(ClusterMessageKind.FailoverWritten, "leader", 1));

            Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal("decided by the leader", events.Current.Event.Reason);
        }
        finally
        {
            await follower.Relay.StopAsync(CancellationToken.None);
            await run;
        }
    }

    [Fact]
    public async Task Handle_LeadersHealth_FollowerShowsIt_StaleTermDropped_NewTermReplacesTheView()
    {
        var follower = await NodeAsync("f");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var changes = follower.Feed.HealthChangesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();

        follower.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHealth("a", 2, [Measured("p1", 10), Measured("p2", 20)])));

        Assert.True(await next);
        Assert.Equal(10, changes.Current.LatencyMs);
        Assert.Equal([10.0, 20.0], follower.Feed.All.Select(h => h.LatencyMs));
        Assert.Equal(20, follower.Feed.Get("p2")!.LatencyMs);

        // A deposed leader's late message (older term) changes nothing.
        follower.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHealth("old", 1, [Measured("p1", 999)])));
        Assert.Equal(10, follower.Feed.Get("p1")!.LatencyMs);

        // A new leader's state replaces its predecessor's: p2 shows this node's own health until the new leader sends it.
        follower.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHealth("b", 3, [Measured("p1", 30)])));
        Assert.Equal([30.0, 0.0], follower.Feed.All.Select(h => h.LatencyMs));
        Assert.Equal(0, follower.Relay.Malformed);
        follower.Relay.Handle("{garbage");
        Assert.Equal(1, follower.Relay.Malformed);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task RelayHealthAsync_Leader_WholeStateThenOnlyChanges_OwnHealthShown()
    {
        var leader = await NodeAsync("a", leaderTerm: 4);
        var sent = new Dictionary<string, PathHealthSnapshot>(StringComparer.Ordinal);

        await leader.Relay.RelayHealthAsync(sent, full: true, 4, CancellationToken.None);
        leader.Health.Publish(Measured("p2", 7));
        await leader.Relay.RelayHealthAsync(sent, full: false, 4, CancellationToken.None);
        await leader.Relay.RelayHealthAsync(sent, full: false, 4, CancellationToken.None);

        var messages = leader.Channel.Decoded();
        Assert.Equal(["p1,p2", "p2"], messages.Select(m => string.Join(',', m.Health.Select(h => h.PathId))));
        Assert.All(messages, m => Assert.Equal(("a", 4L), (m.NodeId, m.Term)));
        Assert.Equal(7, messages[1].Health[0].LatencyMs);

        // The leader ignores health from anyone else and shows its own.
        leader.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHealth("x", 5, [Measured("p2", 99)])));
        Assert.Equal(7, leader.Feed.Get("p2")!.LatencyMs);
    }

    /// <summary>
    /// Issue 16's loss source on a follower: the leader's, not "active" with the passive loss shown as
    /// the probes' (what the follower showed while the relay carried eleven fields).
    /// </summary>
    [Fact]
    public async Task RelayHealthAsync_LeadersPassiveLoss_FollowerShowsTheLeadersLossSourceAndMeasurement()
    {
        var leader = await NodeAsync("a", leaderTerm: 4);
        var follower = await NodeAsync("f");
        var passive = PassiveLossRule.Apply(Measured("p2", 7), new PathPassiveLoss(20, 1_000, 800), HealthThresholds.Default, 200);
        var measuredOnly = PassiveLossRule.Apply(Measured("p1", 5), new PathPassiveLoss(0, 1_000, 1_000), HealthThresholds.Default, 200);
        Assert.Equal((LossSource.Passive, LossSource.Active), (passive.LossSource, measuredOnly.LossSource));
        leader.Health.Publish(passive);
        leader.Health.Publish(measuredOnly);

        await leader.Relay.RelayHealthAsync(new Dictionary<string, PathHealthSnapshot>(StringComparer.Ordinal), full: true, 4, CancellationToken.None);
        foreach (var payload in leader.Channel.Sent)
        {
            follower.Relay.Handle(payload);
        }

        var shown = follower.Feed.Get("p2")!;
        Assert.Equal(passive, shown);
        Assert.Equal((LossSource.Passive, 20.0, 0.0), (shown.LossSource, shown.PacketLossPct, shown.ActiveLossPct));
        Assert.Equal(new PathPassiveLoss(20, 1_000, 800), shown.Passive);
        Assert.Equal(measuredOnly, follower.Feed.Get("p1"));
        Assert.Equal(new PathPassiveLoss(0, 1_000, 1_000), follower.Feed.Get("p1")!.Passive);
    }

    [Fact]
    public async Task RelayHoldDownsAsync_LeadersFailbackHoldDown_ShownOnTheFollower_OnlyChangesSent_StaleTermDropped()
    {
        _store = await TwoLinkStore.CreateAsync(failbackDelay: TimeSpan.FromMinutes(1));
        var leader = await NodeAsync("a", leaderTerm: 4);
        var follower = await NodeAsync("f");
        var policy = _store.Policies.Current.Single();
        var sent = new Dictionary<long, FailoverPolicyState>();
        void Score(string pathId, double score) => leader.Health.Publish(new PathHealthSnapshot(pathId, 10, 0, 1, score, HealthScoring.StatusOf(score), _time.GetUtcNow(), 1, 1, 1, "test"));
        Task RelayAsync(bool full) => leader.Relay.RelayHoldDownsAsync(sent, full, 4, CancellationToken.None);

        // The leader fails over to p2; its primary recovers and the failback waits out its delay.
        leader.Failover.SyncPoliciesForTest();
        Score("p1", 100);
        Score("p2", 100);
        leader.Failover.Evaluate();
        await RelayAsync(full: true);
        Score("p1", 10);
        leader.Failover.Evaluate();
        _time.Advance(TimeSpan.FromSeconds(5));
        Score("p1", 100);
        leader.Failover.Evaluate();
        await RelayAsync(full: false);
        await RelayAsync(full: false); // nothing changed: nothing sent
        var pending = leader.Failover.Status[policy.Id].FailbackPendingSince;
        Assert.Equal(_time.GetUtcNow(), pending);

        var messages = leader.Channel.Decoded();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal((ClusterMessageKind.HoldDowns, "a", 4L), (m.Kind, m.NodeId, m.Term)));
        Assert.Null(Assert.Single(messages[0].HoldDowns!).FailbackPendingSince);
        Assert.Equal(new PolicyHoldDown(policy.Id, pending, null), Assert.Single(messages[1].HoldDowns!));

        // Before the relay a follower showed null here while the leader held the failback.
        Assert.Null(follower.Feed.PolicyStatus(policy)!.FailbackPendingSince);
        foreach (var payload in leader.Channel.Sent)
        {
            follower.Relay.Handle(payload);
        }

        Assert.Equal(pending, follower.Feed.PolicyStatus(policy)!.FailbackPendingSince);

        // A deposed leader's late message changes nothing; a new leader's replaces the view whole.
        follower.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHoldDowns("old", 3, [new PolicyHoldDown(policy.Id, null, s_t0)])));
        Assert.Equal((pending, (DateTimeOffset?)null), (follower.Feed.PolicyStatus(policy)!.FailbackPendingSince, follower.Feed.PolicyStatus(policy)!.HeldUntil));
        follower.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHoldDowns("b", 5, [new PolicyHoldDown(policy.Id + 1, null, null)])));
        Assert.Null(follower.Feed.PolicyStatus(policy)!.FailbackPendingSince);

        // The leader shows its own loop's state, whatever others send.
        leader.Relay.Handle(Assert.Single(ClusterMessageCodec.EncodeHoldDowns("x", 6, [new PolicyHoldDown(policy.Id, null, null)])));
        Assert.Equal(pending, leader.Feed.PolicyStatus(policy)!.FailbackPendingSince);
    }
}

/// <summary>The relay's loops over a channel whose listener connection is lost once: it listens again and resyncs.</summary>
public sealed class ClusterRelayReconnectTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));
    private TwoLinkStore? _store;

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    /// <summary>The first listener is lost when told; the second stays until cancelled.</summary>
    private sealed class FlakyChannel : IClusterChannel
    {
        private int _listens;

        public TaskCompletionSource Lose { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Listens => Volatile.Read(ref _listens);

        public ConcurrentQueue<string> Sent { get; } = new();

        public Task NotifyAsync(string payload, CancellationToken cancellationToken = default)
        {
            Sent.Enqueue(payload);
            return Task.CompletedTask;
        }

        public async Task ListenAsync(Func<CancellationToken, Task> onListening, Action<string> onMessage, CancellationToken cancellationToken)
        {
            var listen = Interlocked.Increment(ref _listens);
            await onListening(cancellationToken);
            if (listen == 1)
            {
                await Lose.Task.WaitAsync(cancellationToken);
                throw new IOException("connection lost");
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task ListenLoop_ConnectionLost_ListensAgainAfterTheDelay_EventsStoredMeanwhileDelivered_ResyncAsked()
    {
        _store = await TwoLinkStore.CreateAsync();
        var leadership = new Leadership("f", _time);
        var health = new HealthState();
        var recorder = new FailoverEventRecorder(_store.Store, _time, NullLogger<FailoverEventRecorder>.Instance, leadership: leadership);
        var failover = new FailoverService(_store.Policies, _store.Topology, health, recorder, new FailoverMetrics(), Options.Create(new FailoverOptions()), _time,
            NullLogger<FailoverService>.Instance, leadership: leadership);
        var feed = new ClusterFeed(leadership, health, failover, relayed: true);
        var channel = new FlakyChannel();
        var log = new FakeLogger<ClusterRelayService>();
        using var relay = new ClusterRelayService(channel, _store.Store, feed, leadership, health, failover, recorder, new ClusterMetrics(leadership), _time, log);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = feed.FailoverEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = events.MoveNextAsync();
        await relay.StartAsync(cts.Token);
        try
        {
            await Poll.AssertAsync(() => relay.Cursor >= 0, TimeSpan.FromSeconds(20), "the first listener placed the cursor");

            channel.Lose.SetResult();
            Assert.True((await _store.Store.InsertFailoverEventsAsync([new(new FailoverEvent(_store.PolicyId, FailoverEventType.FailoverTriggered, "p1", "p2",
                "while away", _time.GetUtcNow()), null)])).Succeeded);
            await Poll.AssertAsync(() => log.Collector.GetSnapshot().Any(r => r.Id.Id == 920), TimeSpan.FromSeconds(20), "the loss is logged");
            Assert.Equal(1, channel.Listens);

            // The reconnect delay runs on the relay's clock: nothing happens until it has passed.
            await Poll.AssertAsync(() =>
            {
                _time.Advance(ClusterRelayService.ReconnectDelay);
                return channel.Listens == 2;
            }, TimeSpan.FromSeconds(20), "listening again after the delay");

            Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal("while away", events.Current.Event.Reason);
            Assert.Equal(2, channel.Sent.Count(p => ClusterMessageCodec.TryDecode(p, out var m) && m.Kind == ClusterMessageKind.Resync));
        }
        finally
        {
            await relay.StopAsync(CancellationToken.None);
        }
    }
}
