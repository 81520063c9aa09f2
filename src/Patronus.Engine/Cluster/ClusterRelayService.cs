using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Cluster;

/// <summary>
/// Carries the leader's live events to every node on a shared store (docs/ha.md, "Live events on
/// every node"), through <see cref="IClusterChannel"/> (PostgreSQL <c>LISTEN/NOTIFY</c>):
/// <list type="bullet">
/// <item>the leader relays its health: the paths whose snapshot changed since its last message, at
/// most every <see cref="RelayInterval"/>, and all of them after it is elected or a node asks
/// (<see cref="ClusterMessageKind.Resync"/>);</item>
/// <item>the leader relays its policies' failback hold-downs the same way (<see cref="ClusterMessageKind.HoldDowns"/>):
/// those whose state changed, all of them after an election or a request;</item>
/// <item>the leader signals <see cref="ClusterMessageKind.FailoverWritten"/> once the failover
/// events it decided are stored; every node (the leader too) then reads the events past its cursor
/// from the store and hands them to <see cref="ClusterFeed"/> — so the events shown are the stored
/// ones, in id order, each once;</item>
/// <item>whenever its listener (re)connects a node reads the store past its cursor and asks the
/// leader for its whole health, so a connection loss delays events but never loses them; every
/// <see cref="CatchUpInterval"/> it reads past the cursor anyway, in case a signal was lost in sending.</item>
/// </list>
/// A follower drops health from a term older than the newest it has seen: a deposed leader's late
/// messages cannot overwrite its successor's.
/// </summary>
public sealed partial class ClusterRelayService : BackgroundService
{
    /// <summary>Shortest time between two health messages of the leader: changes within it are coalesced (latest snapshot per path), which bounds the relay to 10 rounds a second whatever the probe rate.</summary>
    public static readonly TimeSpan RelayInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a node reads the failover events past its cursor without a signal: the bound on an event's delay when a signal was lost.</summary>
    public static readonly TimeSpan CatchUpInterval = TimeSpan.FromSeconds(5);

    /// <summary>Wait before listening again after the listener's connection was lost.</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    // Events read per store round trip while catching up.
    private const int CatchUpBatch = 500;

    // Notifications received and not yet handled: a leader's full state of 10,000 paths is about
    // 170 payloads, so 4,096 holds many of them; past it a payload is dropped and a resync asked.
    private const int InboundCapacity = 4096;

    private readonly IClusterChannel _channel;
    private readonly IClusterFeedStore _store;
    private readonly ClusterFeed _feed;
    private readonly ILeadership _leadership;
    private readonly HealthState _health;
    private readonly FailoverService _failover;
    private readonly FailoverEventRecorder _recorder;
    private readonly ClusterMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TopologyService? _topology;
    private readonly FailoverPolicyService? _policies;
    private readonly ChangeSignal _configChanged = new();
    private readonly ChangeWatch _configChangedWatch;
    private readonly (ChangeWatch? Topology, ChangeWatch? Policies) _configWritten;
    private readonly Channel<string> _inbound = Channel.CreateBounded<string>(
        new BoundedChannelOptions(InboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _catchUpGate = new(1, 1);
    private readonly ChangeSignal _catchUp = new();
    private readonly ChangeSignal _fullStateAsked = new();

    // Watched from construction, so a signal that comes before a loop first waits, or while it
    // works, is never lost (a loop that read Next only when it waits again would miss it).
    private readonly ChangeWatch _catchUpWatch;
    private readonly ChangeWatch _fullStateWatch;
    private long _cursor = -1;
    private int _overflowed;
    private long _malformed;

    public ClusterRelayService(IClusterChannel channel, IClusterFeedStore store, ClusterFeed feed, ILeadership leadership, HealthState health,
        FailoverService failover, FailoverEventRecorder recorder, ClusterMetrics metrics, TimeProvider timeProvider, ILogger<ClusterRelayService> logger,
        TopologyService? topology = null, FailoverPolicyService? policies = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(leadership);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(failover);
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _channel = channel;
        _store = store;
        _feed = feed;
        _leadership = leadership;
        _health = health;
        _failover = failover;
        _recorder = recorder;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _topology = topology;
        _policies = policies;
        _configWritten = (topology?.Written.Watch(), policies?.Written.Watch());
        _configChangedWatch = _configChanged.Watch();
        _catchUpWatch = _catchUp.Watch();
        _fullStateWatch = _fullStateAsked.Watch();
    }

    /// <summary>The id of the newest failover event handed to the feed; -1 before the first catch-up.</summary>
    public long Cursor => Interlocked.Read(ref _cursor);

    /// <summary>Payloads received that did not decode (dropped).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (_topology is { IsReady: false })
            {
                // The failover events table exists once the store is migrated (the topology loaded).
                await Task.WhenAny(_topology.Changed.Next, Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }

            await Task.WhenAll(ListenLoopAsync(stoppingToken), InboundLoopAsync(stoppingToken), CatchUpLoopAsync(stoppingToken),
                LeaderLoopAsync(stoppingToken), FailoverSignalLoopAsync(stoppingToken), OwnHealthLoopAsync(stoppingToken),
                ConfigWrittenLoopAsync(stoppingToken), ConfigReloadLoopAsync(stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _catchUpGate.Dispose();
        base.Dispose();
    }

    /// <summary>Listens; after a lost connection waits <see cref="ReconnectDelay"/> and listens again (each time resyncing in <see cref="OnListeningAsync"/>).</summary>
    private async Task ListenLoopAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _channel.ListenAsync(async ct =>
                {
                    await OnListeningAsync(ct).ConfigureAwait(false);
                    if (failing)
                    {
                        failing = false;
                        Log.ListenerRecovered(_logger);
                    }
                }, Received, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    failing = true;
                    Log.ListenerLost(_logger, ex);
                }
            }

            await Task.Delay(ReconnectDelay, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>The listener is in effect: read what was stored meanwhile, and ask the leader for its whole health (a follower).</summary>
    internal async Task OnListeningAsync(CancellationToken cancellationToken)
    {
        if (Cursor >= 0)
        {
            _configChanged.Notify(); // listening again: an edit's signal may have come while the listener was away
        }

        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        if (!_leadership.IsLeader)
        {
            await SendAsync(ClusterMessageCodec.EncodeSignal(ClusterMessageKind.Resync, _leadership.NodeId, _leadership.Term), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The leader's own listener was away: followers may have asked meanwhile.
            _fullStateAsked.Notify();
        }
    }

    /// <summary>The listener's callback: queue, never block.</summary>
    internal void Received(string payload)
    {
        if (!_inbound.Writer.TryWrite(payload) && Interlocked.Exchange(ref _overflowed, 1) == 0)
        {
            Log.InboundFull(_logger, InboundCapacity);
        }
    }

    private async Task InboundLoopAsync(CancellationToken stoppingToken)
    {
        while (await _inbound.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            while (_inbound.Reader.TryRead(out var payload))
            {
                try
                {
                    Handle(payload);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.HandleFailed(_logger, ex);
                }
            }

            if (Interlocked.Exchange(ref _overflowed, 0) == 1 && !_leadership.IsLeader)
            {
                try
                {
                    // Payloads were dropped: the leader's whole state replaces whatever they held.
                    await SendAsync(ClusterMessageCodec.EncodeSignal(ClusterMessageKind.Resync, _leadership.NodeId, _leadership.Term), stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Asked again after the next batch; a lost listener asks anyway when it is back.
                    Interlocked.Exchange(ref _overflowed, 1);
                    Log.SendFailed(_logger, ex);
                }
            }
        }
    }

    /// <summary>One received payload (the inbound loop's iteration; tests drive it directly).</summary>
    internal void Handle(string payload)
    {
        if (!ClusterMessageCodec.TryDecode(payload, out var message))
        {
            Interlocked.Increment(ref _malformed);
            Log.Malformed(_logger, payload.Length);
            return;
        }

        // Every node hears its own notifications too: only the others' count as received.
        var own = message.NodeId == _leadership.NodeId;
        if (!own)
        {
            _metrics.Replicated(sent: false);
        }

        switch (message.Kind)
        {
            case ClusterMessageKind.FailoverWritten:
                _catchUp.Notify();
                break;
            case ClusterMessageKind.ConfigChanged when !own:
                _configChanged.Notify();
                break;
            case ClusterMessageKind.Resync when _leadership.IsLeader:
                _fullStateAsked.Notify();
                break;
            case ClusterMessageKind.Health when !own:
                // Older than the newest term this node knows (from the lease or an earlier message): a deposed leader's.
                if (message.Term < _leadership.Term || !_feed.LeaderHealthReceived(message.Term, message.Health))
                {
                    Log.StaleHealth(_logger, message.NodeId, message.Term);
                }

                break;
            case ClusterMessageKind.HoldDowns when !own:
                if (message.Term < _leadership.Term || !_feed.LeaderHoldDownsReceived(message.Term, message.HoldDowns ?? []))
                {
                    Log.StaleHoldDowns(_logger, message.NodeId, message.Term);
                }

                break;
        }
    }

    private async Task CatchUpLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.WhenAny(_catchUpWatch.Pending, Task.Delay(CatchUpInterval, _time, stoppingToken)).ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
            _catchUpWatch.Consume(); // before reading: a signal during the read wakes the next round
            try
            {
                await CatchUpAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.CatchUpFailed(_logger, ex);
            }
        }
    }

    /// <summary>
    /// Hands the failover events stored past the cursor to the feed, oldest first, and moves the
    /// cursor. The first call (when the listener first connects) only places the cursor at the newest
    /// event: subscribers see events from then on, as on a single node. Ids are in commit order: only
    /// the leader writes events, one batch at a time, and a successor's first write waits for the
    /// lease row its predecessor's last write holds.
    /// </summary>
    internal async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await _catchUpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Cursor < 0)
            {
                Interlocked.Exchange(ref _cursor, await _store.GetLastFailoverEventIdAsync(cancellationToken).ConfigureAwait(false));

                // Where the leader left each policy (its newest stored switch): what a follower's API shows as the policy's active path.
                var policies = _policies?.Current.Select(p => p.Id) ?? [];
                _feed.LeaderPolicyEventsLoaded((await _recorder.LastActivePathEventsAsync(policies, cancellationToken).ConfigureAwait(false)).Values);
                return;
            }

            IReadOnlyList<FailoverEventRecord> batch;
            do
            {
                batch = await _store.GetFailoverEventsAfterAsync(Cursor, CatchUpBatch, cancellationToken).ConfigureAwait(false);
                foreach (var record in batch)
                {
                    _feed.FailoverEventStored(record);
                    Interlocked.Exchange(ref _cursor, record.EventId);
                }
            }
            while (batch.Count == CatchUpBatch);
        }
        finally
        {
            _catchUpGate.Release();
        }
    }

    /// <summary>This instance's own health changes to the feed (shown while it leads).</summary>
    private async Task OwnHealthLoopAsync(CancellationToken stoppingToken)
    {
        var reader = _health.Subscribe(stoppingToken);
        while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var snapshot))
            {
                _feed.OwnHealthChanged(snapshot);
            }
        }
    }

    /// <summary>
    /// The leader's health: waits for a change of health, of leadership or a resync request, then
    /// sends what it calls for, at most every <see cref="RelayInterval"/>.
    /// </summary>
    private async Task LeaderLoopAsync(CancellationToken stoppingToken)
    {
        var sent = new Dictionary<string, PathHealthSnapshot>(StringComparer.Ordinal);
        var sentHoldDowns = new Dictionary<long, FailoverPolicyState>();
        var healthWatch = _health.Changed.Watch(changedAtFirst: true);
        var policyWatch = _failover.StatusChanged.Watch(changedAtFirst: true);
        var leaderWatch = _leadership.Changed.Watch(changedAtFirst: true);
        var askedWatch = _fullStateWatch;
        long sentTerm = 0;

        // None of the signals ends with the host: this does.
        var stopped = Task.Delay(Timeout.InfiniteTimeSpan, _time, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.WhenAny(healthWatch.Pending, policyWatch.Pending, leaderWatch.Pending, askedWatch.Pending, stopped).ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
            leaderWatch.Consume();
            var fence = _leadership.Fence;
            if (fence is null)
            {
                // Not leading: nothing to send; a later election sends the whole state.
                healthWatch.Consume();
                policyWatch.Consume();
                askedWatch.Consume();
                sent.Clear();
                sentHoldDowns.Clear();
                continue;
            }

            try
            {
                var full = askedWatch.Consume() | fence.Term != sentTerm;
                healthWatch.Consume();
                policyWatch.Consume();
                await RelayHealthAsync(sent, full, fence.Term, stoppingToken).ConfigureAwait(false);
                await RelayHoldDownsAsync(sentHoldDowns, full, fence.Term, stoppingToken).ConfigureAwait(false);
                sentTerm = fence.Term;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // What was not sent goes with the next round as a whole state.
                sent.Clear();
                sentHoldDowns.Clear();
                Log.SendFailed(_logger, ex);
            }

            await Task.Delay(RelayInterval, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The leader's failover signal, a loop of its own so that it never waits behind a health round
    /// or its coalescing delay: for each batch of events decided, once they are stored, one signal.
    /// </summary>
    private async Task FailoverSignalLoopAsync(CancellationToken stoppingToken)
    {
        var decided = _failover.Subscribe(stoppingToken);
        while (await decided.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            while (decided.TryRead(out _))
            {
            }

            if (_leadership.Fence is not { } fence)
            {
                continue;
            }

            try
            {
                await SignalFailoverWrittenAsync(fence.Term, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Every node reads past its cursor every CatchUpInterval anyway.
                Log.SendFailed(_logger, ex);
            }
        }
    }

    /// <summary>Waits until the events decided so far are stored, then tells every node to read them.</summary>
    private async Task SignalFailoverWrittenAsync(long term, CancellationToken cancellationToken)
    {
        // The failover loop queues an event before it publishes it: the last queued covers it. A store
        // that does not take it within the API's bound gets the signal anyway (a read that finds nothing
        // new costs one query; the catch-up interval reads it later).
        try
        {
            await _recorder.WhenQueuedWrittenAsync().WaitAsync(FailoverService.RecordTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        await SendAsync(ClusterMessageCodec.EncodeSignal(ClusterMessageKind.FailoverWritten, _leadership.NodeId, term), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the snapshots that changed since <paramref name="sent"/> (all with <paramref name="full"/>), and records them as sent.</summary>
    internal async Task RelayHealthAsync(Dictionary<string, PathHealthSnapshot> sent, bool full, long term, CancellationToken cancellationToken)
    {
        var all = _health.All;
        var changed = full ? all : [.. all.Where(h => !sent.TryGetValue(h.PathId, out var last) || !ReferenceEquals(last, h))];
        if (full)
        {
            sent.Clear();
        }

        foreach (var payload in ClusterMessageCodec.EncodeHealth(_leadership.NodeId, term, changed))
        {
            await SendAsync(payload, cancellationToken).ConfigureAwait(false);
        }

        foreach (var snapshot in changed)
        {
            sent[snapshot.PathId] = snapshot;
        }
    }

    /// <summary>
    /// Sends the failback hold-down of the policies whose state changed since <paramref name="sent"/>
    /// (all with <paramref name="full"/>), and records them as sent. Compared on the loop's own state
    /// (monotonic instants), sent as the wall-clock instants the API shows, so a follower needs no
    /// further message while a hold-down simply runs its course.
    /// </summary>
    internal async Task RelayHoldDownsAsync(Dictionary<long, FailoverPolicyState> sent, bool full, long term, CancellationToken cancellationToken)
    {
        var all = _failover.Status.Values;
        List<FailoverPolicyStatus> changed = full ? [.. all] : [.. all.Where(s => !sent.TryGetValue(s.PolicyId, out var last) || !SameHoldDown(last, s.State))];
        if (full)
        {
            sent.Clear();
        }

        var holdDowns = changed.Select(s => new PolicyHoldDown(s.PolicyId, s.FailbackPendingSince, s.HeldUntil)).ToList();
        foreach (var payload in ClusterMessageCodec.EncodeHoldDowns(_leadership.NodeId, term, holdDowns))
        {
            await SendAsync(payload, cancellationToken).ConfigureAwait(false);
        }

        foreach (var status in changed)
        {
            sent[status.PolicyId] = status.State;
        }
    }

    private static bool SameHoldDown(FailoverPolicyState a, FailoverPolicyState b) =>
        a.PrimaryHealthySince == b.PrimaryHealthySince && a.HeldUntil == b.HeldUntil;

    /// <summary>
    /// An edit of the topology or the policies made on this node (API or GraphQL, on any node behind
    /// the load balancer): tell the others, which reload both from the store. Without it a policy
    /// created through a follower was never applied by the leader until it restarted.
    /// </summary>
    private async Task ConfigWrittenLoopAsync(CancellationToken stoppingToken)
    {
        if (_configWritten is (null, null))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            // The stop token's task too: the two watches never complete on their own at shutdown
            // (without it the host waited out its whole shutdown timeout and the lease release was cancelled).
            await Task.WhenAny(_configWritten.Topology?.Pending ?? Task.Delay(Timeout.Infinite, stoppingToken),
                _configWritten.Policies?.Pending ?? Task.Delay(Timeout.Infinite, stoppingToken),
                Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
            _configWritten.Topology?.Consume();
            _configWritten.Policies?.Consume();
            try
            {
                await SendAsync(ClusterMessageCodec.EncodeSignal(ClusterMessageKind.ConfigChanged, _leadership.NodeId, _leadership.Term), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.SendFailed(_logger, ex);
            }
        }
    }

    /// <summary>Another node edited the configuration: reload the topology, then the policies (which name its paths).</summary>
    private async Task ConfigReloadLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _configChangedWatch.Pending.WaitAsync(stoppingToken).ConfigureAwait(false);
            _configChangedWatch.Consume(); // before reading: an edit during the reload brings another
            try
            {
                await ReloadConfigAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.HandleFailed(_logger, ex);
            }
        }
    }

    /// <summary>Tests: what the reload loop does on a <see cref="ClusterMessageKind.ConfigChanged"/>.</summary>
    internal async Task ReloadConfigAsync(CancellationToken cancellationToken)
    {
        if (_topology is not null)
        {
            await _topology.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_policies is not null)
        {
            await _policies.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(string payload, CancellationToken cancellationToken)
    {
        await _channel.NotifyAsync(payload, cancellationToken).ConfigureAwait(false);
        _metrics.Replicated(sent: true);
    }
}
