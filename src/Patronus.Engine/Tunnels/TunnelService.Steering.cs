using Microsoft.Extensions.Logging;
using Patronus.Engine.Loops;

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
                await Task.WhenAny(_topologyChanges.Pending, _healthChanges.Pending, _routeChanges.Pending).WaitAsync(stoppingToken).ConfigureAwait(false);

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
        foreach (var peer in device.Peers)
        {
            if (peer.PathEndpoints.Count == 0)
            {
                continue;
            }

            var previous = peer.Steering;
            var steering = TunnelSteering.Build(
                peer.PathEndpoints, topology, id => _health.Get(id)?.Status, routes,
                (link, family) => Via(link, family, device, _steerToken), previous);
            peer.Steering = steering;
            if (steering.Default?.PathId != previous?.Default?.PathId)
            {
                LogDefaultPath(_logger, Name, peer.Name, steering.Default);
            }
        }
    }

    [LoggerMessage(EventId = 7058, Level = LogLevel.Information, Message = "Tunnel {Interface}: peer {Peer}'s default path is now {Endpoint}")]
    private static partial void LogDefaultPath(ILogger logger, string @interface, string peer, TunnelEndpoint? endpoint);
}
