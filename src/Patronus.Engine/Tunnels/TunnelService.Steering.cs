using Microsoft.Extensions.Logging;
using Patronus.Engine.Loops;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Path steering: each peer with per-path endpoints gets a new <see cref="TunnelSteering"/>
/// whenever the topology, a path's health or the failover route table changes. Nothing polls:
/// the loop waits on the three change signals, so a failover decided by
/// <see cref="Failover.FailoverService"/> reaches the tunnel's next packet within the time it
/// takes to rebuild a few small tries, and no kernel route changes.
/// </summary>
public sealed partial class TunnelService
{
    private ChangeWatch? _topologyChanges;
    private ChangeWatch? _healthChanges;
    private ChangeWatch? _routeChanges;
    private CancellationToken _steerToken;

    // When the earliest on-sla-breach hold ends (a monotonic timestamp), or null: the loop wakes
    // then to turn duplication off even if no health change comes.
    private long? _duplicationDue;

    /// <summary>Takes the watches before the first <see cref="Steer"/>: a change after it wakes the loop.</summary>
    private void WatchSteeringInputs()
    {
        _topologyChanges = _topology?.Changed.Watch();
        _healthChanges = _health?.Changed.Watch();
        _routeChanges = _failover?.Routes.Changed.Watch();
    }

    private async Task SteerLoopAsync(TunnelDevice device, CancellationToken stoppingToken)
    {
        if (_topologyChanges is null || _healthChanges is null || _routeChanges is null || !device.Peers.Any(p => p.PathEndpoints.Count > 0))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var changes = Task.WhenAny(_topologyChanges.Pending, _healthChanges.Pending, _routeChanges.Pending);
                if (_duplicationDue is { } due)
                {
                    var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
                    await Task.WhenAny(changes, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, stoppingToken)).ConfigureAwait(false);
                    stoppingToken.ThrowIfCancellationRequested();
                }
                else
                {
                    await changes.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                // Each watch consumed (re-armed) before the state is read: no change is missed.
                _ = _topologyChanges.Consume() | _healthChanges.Consume() | _routeChanges.Consume();
                Steer(device);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a loop logs and carries on; only cancellation ends it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex);
            }
        }
    }

    /// <summary>Rebuilds every per-path peer's steering from the current topology, health and route table.</summary>
    private void Steer(TunnelDevice device)
    {
        if (_topology is null || _health is null || _failover is null)
        {
            return;
        }

        var topology = _topology.Current;
        var routes = _failover.Routes.Current;
        var classes = _classes is { Classes.Count: > 1 } classifier
            ? new TunnelClassInputs(classifier.Classes, _failover.ClassRoutes, MeetsSla)
            : null;
        var now = _time.GetTimestamp();
        long? due = null;
        foreach (var peer in device.Peers)
        {
            if (peer.PathEndpoints.Count == 0)
            {
                continue;
            }

            var previous = peer.Steering;
            var steering = TunnelSteering.Build(
                peer.PathEndpoints, topology, id => _health.Get(id)?.Status, routes,
                (link, family) => Via(link, family, device, _steerToken), previous, classes);
            peer.Steering = steering;
            if (steering.Default?.PathId != previous?.Default?.PathId)
            {
                LogDefaultPath(_logger, Name, peer.Name, steering.Default);
            }

            if (peer.Patronus is not null && peer.Classes is { } state && EvaluateDuplication(peer, state, steering, now) is { } end)
            {
                due = due is { } d && d < end ? d : end;
            }
        }

        _duplicationDue = due;
    }

    /// <summary>
    /// <c>on-sla-breach</c> duplication of <paramref name="peer"/>'s classes (issue 16): each judged
    /// on its active path — where its last packet went, else where the next would go (its
    /// preferred path, else the peer's default) — against its SLA; turned on at a breach, off
    /// after the hold. Returns when the earliest hold ends.
    /// </summary>
    private long? EvaluateDuplication(TunnelPeer peer, PeerClassState state, TunnelSteering steering, long now)
    {
        var changes = new List<(TrafficClass Class, bool Active)>();
        var due = state.EvaluateDuplication(
            c => ActivePathOf(peer, state, steering, c) is { } path && Breaches(path, c.Sla),
            now, _time.TimestampFrequency, changes);
        foreach (var (trafficClass, active) in changes)
        {
            var path = ActivePathOf(peer, state, steering, trafficClass);
            var why = path is null ? "no path" : _health!.Get(path) is { } h
                ? trafficClass.Sla.Why(path, trafficClass.Name, h.LastChecked is not null, h.Liveness?.Down, h.LatencyMs, h.PacketLossPct, h.JitterMs)
                : $"path {path} not measured";
            LogDuplication(_logger, Name, peer.Name, trafficClass.Name, active ? "on" : "off", why);
        }

        return due;
    }

    private static string? ActivePathOf(TunnelPeer peer, PeerClassState state, TunnelSteering steering, TrafficClass trafficClass) =>
        state.LastPath(trafficClass.Index) is > 0 and var number && number <= peer.PathEndpoints.Count
            ? peer.PathEndpoints[number - 1].Key
            : steering.PreferredPathOf(trafficClass.Index) ?? steering.Default?.PathId;

    /// <summary>A measured path that does not meet <paramref name="sla"/>; an unmeasured one breaches nothing yet (no duplication before there is data).</summary>
    private bool Breaches(string pathId, TrafficSla sla) =>
        _health!.Get(pathId) is { LastChecked: not null } h && !sla.IsMetBy(true, h.Liveness?.Down, h.LatencyMs, h.PacketLossPct, h.JitterMs);

    /// <summary>Whether a path meets <paramref name="sla"/> now, on its active probes' health.</summary>
    private bool MeetsSla(string pathId, TrafficSla sla) =>
        _health!.Get(pathId) is { } h && sla.IsMetBy(h.LastChecked is not null, h.Liveness?.Down, h.LatencyMs, h.PacketLossPct, h.JitterMs);

    [LoggerMessage(EventId = 7075, Level = LogLevel.Information, Message = "Tunnel {Interface}: peer {Peer} class {Class} duplication {State} ({Why})")]
    private static partial void LogDuplication(ILogger logger, string @interface, string peer, string @class, string state, string why);

    [LoggerMessage(EventId = 7058, Level = LogLevel.Information, Message = "Tunnel {Interface}: peer {Peer}'s default path is now {Endpoint}")]
    private static partial void LogDefaultPath(ILogger logger, string @interface, string peer, TunnelEndpoint? endpoint);
}
