using System.Globalization;
using System.Net;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Failover;

/// <summary>
/// Route planning as a pure function of the policies' active paths and the topology: what the
/// failover loop publishes as its route table and asks the kernel for. No hysteresis here — that
/// lives in <see cref="FailoverDecision"/>, which decides the active paths; the plan follows them
/// exactly, and <see cref="Same"/> tells the loop when a decision changed nothing (no swap, no
/// kernel request).
/// </summary>
public static class FailoverRoutes
{
    /// <summary>
    /// One route per prefix of each policy, through its active path's link: via the link's gateway
    /// (or on-link when it has none) out of its interface (or wherever the kernel resolves the
    /// gateway when it names none). A policy whose active path or that path's link is not in the
    /// topology (an edit in flight) gets no route: its prefixes are withdrawn rather than sent
    /// through a link that is gone.
    /// </summary>
    public static IReadOnlyList<RouteEntry> Plan(IEnumerable<(FailoverPolicy Policy, string ActivePathId)> policies, TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(topology);
        var routes = new List<RouteEntry>();
        foreach (var (policy, activePathId) in policies)
        {
            if (!topology.PathsById.TryGetValue(activePathId, out var path) || !topology.LinksById.TryGetValue(path.LinkId, out var link))
            {
                continue;
            }

            var gateway = IPAddress.TryParse(link.Gateway, out var g) ? g : null;
            var policyId = policy.Id.ToString(CultureInfo.InvariantCulture);
            foreach (var prefix in policy.Prefixes)
            {
                routes.Add(new RouteEntry(prefix, policyId, path.Id, link.Id, gateway, link.Interface));
            }
        }

        return routes;
    }

    /// <summary>
    /// The routes the kernel gets: <paramref name="routes"/> less those whose prefix something else
    /// carries (<see cref="CarriedPrefixes"/>: a tunnel, which follows the same decision without a
    /// route of ours), returned in <paramref name="skipped"/> with their carrier.
    /// </summary>
    public static IReadOnlyList<RouteEntry> ForKernel(IEnumerable<RouteEntry> routes, CarriedPrefixes carried, out IReadOnlyList<(RouteEntry Route, string Carrier)> skipped)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(carried);
        var kernel = new List<RouteEntry>();
        var left = new List<(RouteEntry, string)>();
        foreach (var route in routes)
        {
            if (carried.CarrierOf(route.Prefix) is { } carrier)
            {
                left.Add((route, carrier));
            }
            else
            {
                kernel.Add(route);
            }
        }

        skipped = left;
        return kernel;
    }

    /// <summary>
    /// The class policies' routes (<see cref="FailoverPolicy.Class"/> set), one table per class,
    /// planned as <see cref="Plan"/> plans; for the tunnels' per-class steering, never the kernel.
    /// </summary>
    public static ClassRouteTables PlanClasses(IEnumerable<(FailoverPolicy Policy, string ActivePathId)> policies, TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var byClass = policies.Where(p => p.Policy.Class is not null).GroupBy(p => p.Policy.Class!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new RouteTable(Plan(g, topology)), StringComparer.Ordinal);
        return byClass.Count == 0 ? ClassRouteTables.Empty : new ClassRouteTables(byClass);
    }

    /// <summary>True when <paramref name="table"/> holds exactly <paramref name="routes"/>, in any order.</summary>
    public static bool Same(RouteTable table, IReadOnlyCollection<RouteEntry> routes)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(routes);
        return table.Count == routes.Count && table.Routes.ToHashSet().SetEquals(routes);
    }
}

/// <summary>
/// The class policies' route tables by traffic class name: immutable, published whole by the
/// failover loop (<see cref="FailoverService.ClassRoutes"/>), read by the tunnels' steering.
/// </summary>
public sealed class ClassRouteTables
{
    /// <summary>No class policy.</summary>
    public static ClassRouteTables Empty { get; } = new(new Dictionary<string, RouteTable>(StringComparer.Ordinal));

    /// <summary>Tables by class name (<paramref name="byClass"/> is taken as it is: do not change it after).</summary>
    public ClassRouteTables(IReadOnlyDictionary<string, RouteTable> byClass) => ByClass = byClass ?? throw new ArgumentNullException(nameof(byClass));

    /// <summary>The routes of each class that has a class policy.</summary>
    public IReadOnlyDictionary<string, RouteTable> ByClass { get; }

    /// <summary>Whether both hold the same routes for the same classes.</summary>
    public bool SameAs(ClassRouteTables other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other) || (ByClass.Count == other.ByClass.Count
            && ByClass.All(c => other.ByClass.TryGetValue(c.Key, out var table) && FailoverRoutes.Same(table, c.Value.Routes.ToList())));
    }
}
