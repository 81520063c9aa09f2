using System.Net;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tests.Failover;

/// <summary>An <see cref="IRouteApplier"/> that accepts everything and keeps each table it was asked for.</summary>
internal sealed class RecordingRouteApplier : IRouteApplier
{
    public List<RouteTable> Synced { get; } = [];

    public IReadOnlyDictionary<IPNetwork, RouteEntry> Installed => Synced.Count == 0
        ? new Dictionary<IPNetwork, RouteEntry>()
        : Synced[^1].Routes.ToDictionary(r => r.Prefix);

    public IReadOnlyList<(RouteEntry Route, string Error)> Sync(RouteTable desired)
    {
        Synced.Add(desired);
        return [];
    }
}
