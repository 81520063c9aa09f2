using Microsoft.Extensions.Logging;
using Patronus.Engine.Routing;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// The kernel routes into the tunnel interface for the peers' allowed prefixes
/// (<see cref="TunnelRoutes"/>, on unless <see cref="TunnelOptions.Routes"/> is false): installed
/// once the interface is up, through a <see cref="KernelRouteApplier"/> of their own
/// (rtm_protocol <see cref="RouteMessage.TunnelProtocol"/> in the main table), removed on stop.
/// The applier's first sync sweeps the routes of an earlier run, so a prefix dropped from the
/// configuration loses its route at the next start (the Tunnels section is read at start). A
/// route the kernel refuses is logged and the tunnel runs: the operator can add it by hand.
/// Failover never replaces these routes: the same prefixes are its <see cref="CarriedPrefixes"/>.
/// </summary>
public sealed partial class TunnelService
{
    private KernelRouteApplier? _routes;

    private void InstallRoutes(string interfaceName)
    {
        if (!_options.Routes)
        {
            LogRoutesOff(_logger, interfaceName);
            return;
        }

        var plan = TunnelRoutes.Plan(_options, interfaceName);
        foreach (var skip in plan.Skipped)
        {
            LogRouteSkipped(_logger, interfaceName, skip.Prefix, skip.Peer, skip.Reason);
        }

        _routes = new KernelRouteApplier(RouteMessage.MainTable, 0, protocol: RouteMessage.TunnelProtocol);
        foreach (var (route, error) in _routes.Sync(plan.Wanted))
        {
            LogRouteFailed(_logger, interfaceName, route.Prefix, error);
        }

        LogRoutes(_logger, interfaceName, _routes.Installed.Count, plan.Skipped.Count);
    }

    private void RemoveRoutes(string interfaceName)
    {
        if (_routes is null)
        {
            return;
        }

        foreach (var (route, error) in _routes.Sync(RouteTable.Empty))
        {
            LogRouteFailed(_logger, interfaceName, route.Prefix, error);
        }

        _routes.Dispose();
        _routes = null;
    }

    [LoggerMessage(EventId = 7080, Level = LogLevel.Information, Message = "Tunnel {Interface}: {Installed} routes for the peers' allowed prefixes installed, {Skipped} skipped")]
    private static partial void LogRoutes(ILogger logger, string @interface, int installed, int skipped);

    [LoggerMessage(EventId = 7081, Level = LogLevel.Information, Message = "Tunnel {Interface}: no route for {Prefix} of peer {Peer}: it {Reason}")]
    private static partial void LogRouteSkipped(ILogger logger, string @interface, System.Net.IPNetwork prefix, string peer, string reason);

    [LoggerMessage(EventId = 7082, Level = LogLevel.Warning, Message = "Tunnel {Interface}: route for {Prefix}: {Error}; the tunnel runs without it")]
    private static partial void LogRouteFailed(ILogger logger, string @interface, System.Net.IPNetwork prefix, string error);

    [LoggerMessage(EventId = 7083, Level = LogLevel.Information, Message = "Tunnel {Interface}: Routes is off, the operator routes the peers' prefixes")]
    private static partial void LogRoutesOff(ILogger logger, string @interface);
}
