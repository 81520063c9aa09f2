using System.Net;

namespace Patronus.Engine.Routing;

/// <summary>
/// Brings a routing table outside the engine (the kernel's, today) in line with a
/// <see cref="RouteTable"/>. Owned by one loop (failover); when none is registered the engine keeps
/// its route table to itself.
/// </summary>
public interface IRouteApplier
{
    /// <summary>Routes the target has confirmed, by prefix.</summary>
    IReadOnlyDictionary<IPNetwork, RouteEntry> Installed { get; }

    /// <summary>Applies the differences; returns the routes that could not be applied, each with the reason (to be retried by the next call).</summary>
    IReadOnlyList<(RouteEntry Route, string Error)> Sync(RouteTable desired);
}
