using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Cluster;

/// <summary>
/// Membership and the leader lease on a shared store (docs/ha.md). Two loops: every
/// <see cref="ClusterOptions.RenewInterval"/> (500 ms) the lease loop acquires or renews the lease with
/// one conditional update and publishes the outcome through <see cref="Leadership"/>
/// (<see cref="LeaseState"/> decides the role); every <see cref="ClusterOptions.HeartbeatInterval"/>
/// (1 s) the heartbeat loop writes this node's row and reads everyone's (<see cref="LastView"/>, the
/// node gauges). On a graceful stop — after the engine's features, which are registered later and
/// stop first — the lease is released, so a follower takes over at its next attempt instead of
/// waiting for the lease to run out.
/// </summary>
public sealed partial class ClusterService : BackgroundService
{
    private readonly IClusterStore _store;
    private readonly Leadership _leadership;
    private readonly ClusterMetrics _metrics;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TopologyService? _topology;
    private readonly LeaseState _state;
    private readonly DateTimeOffset _startedAt;
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private ClusterView? _lastView;
    private bool _leaseFailing;
    private bool _heartbeatFailing;

    /// <param name="store">The lease and heartbeat rows.</param>
    /// <param name="leadership">Where the role is published (its clock keeps the lease's deadlines).</param>
    /// <param name="metrics">The cluster instruments.</param>
    /// <param name="options">Timings, the advertised URL.</param>
    /// <param name="timeProvider">Timers.</param>
    /// <param name="logger">The log.</param>
    /// <param name="topology">When given, the loops start once the store is migrated and the topology loaded (the tables exist).</param>
    public ClusterService(IClusterStore store, Leadership leadership, ClusterMetrics metrics, IOptions<ClusterOptions> options, TimeProvider timeProvider,
        ILogger<ClusterService> logger, TopologyService? topology = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(leadership);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        new ClusterOptionsValidator().ThrowIfInvalid(options.Value);
        _store = store;
        _leadership = leadership;
        _metrics = metrics;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _topology = topology;
        _state = new LeaseState(_options.LeaseDuration);
        _startedAt = timeProvider.GetUtcNow();
    }

    /// <summary>This build's version, as heartbeats report it.</summary>
    public static string Version { get; } =
        typeof(ClusterService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The cluster as the last heartbeat read it (null before the first).</summary>
    public ClusterView? LastView => Volatile.Read(ref _lastView);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (_topology is { IsReady: false })
            {
                // Changed completes just before IsReady is set: check again shortly as well.
                await Task.WhenAny(_topology.Changed.Next, Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }

            await Task.WhenAll(LeaseLoopAsync(stoppingToken), HeartbeatLoopAsync(stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // The loops have ended: the state is ours to change.
        if (_state.IsLeader)
        {
            var term = _state.Term;
            Publish(_state.Released());
            try
            {
                var released = await _store.ReleaseLeaseAsync(_leadership.NodeId, cancellationToken).ConfigureAwait(false);
                Log.Released(_logger, term, released);
            }
#pragma warning disable CA1031 // best effort: without it the lease runs out on its own
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ReleaseFailed(_logger, ex);
            }
        }
    }

    /// <summary>One lease attempt and its outcome published (the lease loop's iteration; tests drive it directly).</summary>
    internal async Task<LeaseChange> AttemptLeaseAsync(CancellationToken cancellationToken)
    {
        var sentAt = _leadership.Clock.Elapsed;
        var before = _state.Term;
        LeaseChange change;
        try
        {
            // An answer later than the lease is worthless (LeaseState refuses to act on it): stop waiting
            // then — on this loop's own clock, not only through the token: on a black-holed store the
            // driver's cancellation itself waits on the network (Npgsql sends a cancel request and waits
            // for it), which would hold the loop, and the step-down it publishes, past the lease.
            using var timeout = new CancellationTokenSource(_options.LeaseDuration, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var attempt = await _store.TryAcquireLeaseAsync(_leadership.NodeId, _options.LeaseDuration, linked.Token)
                .WaitAsync(_options.LeaseDuration, _time, cancellationToken).ConfigureAwait(false);
            change = attempt.Held ? _state.Granted(attempt.Term, sentAt, _leadership.Clock.Elapsed) : _state.Refused(attempt.Term);
            if (_leaseFailing)
            {
                _leaseFailing = false;
                Log.LeaseRecovered(_logger);
            }

            if (before > 0 && attempt.Term > before)
            {
                _metrics.Failover();
            }

            if (change == LeaseChange.SteppedDown && !attempt.Held)
            {
                Log.LeaseTaken(_logger, attempt.Holder ?? "(nobody)", attempt.Term);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            change = _state.Failed(_leadership.Clock.Elapsed);
            if (!_leaseFailing)
            {
                _leaseFailing = true;
                Log.LeaseFailed(_logger, ex);
            }
        }

        Publish(change);
        return change;
    }

    private void Publish(LeaseChange change)
    {
        _leadership.Publish(_state, change != LeaseChange.None);
        if (change == LeaseChange.Elected)
        {
            _metrics.Elected();
            Log.Elected(_logger, _leadership.NodeId, _state.Term);
        }
        else if (change == LeaseChange.SteppedDown)
        {
            Log.SteppedDown(_logger, _leadership.NodeId, _state.Term);
        }
    }

    private async Task LeaseLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RenewInterval, _time);
        do
        {
            await AttemptLeaseAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        do
        {
            try
            {
                await HeartbeatOnceAsync(stoppingToken).ConfigureAwait(false);
                if (_heartbeatFailing)
                {
                    _heartbeatFailing = false;
                    Log.HeartbeatRecovered(_logger);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (!_heartbeatFailing)
                {
                    _heartbeatFailing = true;
                    Log.HeartbeatFailed(_logger, ex);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Writes this node's heartbeat, then reads the cluster: node gauges, heartbeats received.</summary>
    internal async Task HeartbeatOnceAsync(CancellationToken cancellationToken)
    {
        await _store.HeartbeatAsync(new ClusterHeartbeat(_leadership.NodeId, _options.AdvertisedUrl ?? "", Version, _startedAt, _leadership.IsLeader, _leadership.Term),
            cancellationToken).ConfigureAwait(false);
        _metrics.HeartbeatSent();
        var view = await _store.GetClusterAsync(_options.NodeTimeout, cancellationToken).ConfigureAwait(false);
        var received = 0;
        foreach (var node in view.Nodes)
        {
            if (node.NodeId != _leadership.NodeId && (!_seen.TryGetValue(node.NodeId, out var last) || node.LastHeartbeat > last))
            {
                received++;
            }

            _seen[node.NodeId] = node.LastHeartbeat;
        }

        _metrics.HeartbeatsReceived(received);
        _metrics.Nodes(view.Nodes.Count, view.Nodes.Count(n => n.Healthy));
        Volatile.Write(ref _lastView, view);
    }

    // EventIds 900–919: cluster membership and the leader lease.
    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Node {NodeId} is the leader (term {Term})")]
        public static partial void Elected(ILogger logger, string nodeId, long term);

        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Node {NodeId} stepped down (term {Term}): it no longer holds the leader lease and stops its leader-only work")]
        public static partial void SteppedDown(ILogger logger, string nodeId, long term);

        [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "The leader lease is held by {Holder} (term {Term})")]
        public static partial void LeaseTaken(ILogger logger, string holder, long term);

        [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "Leader lease attempt failed; retrying every renew interval (a held lease stands until its deadline)")]
        public static partial void LeaseFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "Leader lease attempts answer again")]
        public static partial void LeaseRecovered(ILogger logger);

        [LoggerMessage(EventId = 905, Level = LogLevel.Warning, Message = "Cluster heartbeat failed; retrying every heartbeat interval")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 906, Level = LogLevel.Information, Message = "Cluster heartbeats written again")]
        public static partial void HeartbeatRecovered(ILogger logger);

        [LoggerMessage(EventId = 907, Level = LogLevel.Information, Message = "Released the leader lease (term {Term}, released: {Released})")]
        public static partial void Released(ILogger logger, long term, bool released);

        [LoggerMessage(EventId = 908, Level = LogLevel.Warning, Message = "Could not release the leader lease; it runs out on its own")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception);
    }
}
