using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Where one peer's tunnel datagrams go now: an immutable snapshot, rebuilt when the topology,
/// the paths' health or the failover route table changes, and swapped whole into the peer, so the
/// sending threads read it without a lock. <see cref="For"/> is one trie lookup per packet.
/// </summary>
public sealed class TunnelSteering
{
    private readonly PrefixTrie<TunnelEndpoint>? _byDestination;

    private TunnelSteering(TunnelEndpoint? fallback, PrefixTrie<TunnelEndpoint>? byDestination, IReadOnlyDictionary<string, TunnelEndpoint> endpoints,
        IReadOnlyDictionary<int, string> pathsByVia, RouteTable routes, IReadOnlyDictionary<string, TunnelEndpoint> partners)
    {
        Default = fallback;
        Partners = partners;
        _byDestination = byDestination;
        Endpoints = endpoints;
        PathsByVia = pathsByVia;
        Routes = routes;
    }

    /// <summary>The endpoint of packets no failover policy steers (and of handshakes and keepalives): the lowest-cost healthy path's.</summary>
    public TunnelEndpoint? Default { get; }

    /// <summary>The peer's endpoint on each of its paths that the topology has, by path id.</summary>
    public IReadOnlyDictionary<string, TunnelEndpoint> Endpoints { get; }

    /// <summary>The peer's path on each link socket (<see cref="TunnelEndpoint.Via"/>): what a received datagram is counted on.</summary>
    public IReadOnlyDictionary<int, string> PathsByVia { get; }

    /// <summary>
    /// For each path, the best other one (<see cref="TunnelPathChoice"/> over the rest): where the
    /// second copy of a duplicated packet goes (issue 16 item 5). Absent with a single path.
    /// </summary>
    public IReadOnlyDictionary<string, TunnelEndpoint> Partners { get; }

    /// <summary>The failover route table this snapshot was built from.</summary>
    internal RouteTable Routes { get; }

    /// <summary>The endpoint for a packet to <paramref name="destination"/> (4 or 16 octets): its policy's active path, else <see cref="Default"/>.</summary>
    public TunnelEndpoint? For(ReadOnlySpan<byte> destination) => _byDestination?.Lookup(destination) ?? Default;

    /// <summary>
    /// The steering of a peer with <paramref name="paths"/> (path id → its endpoint, in
    /// configuration order): each path that the topology has, with its link's socket
    /// (<paramref name="via"/>), ranked by <see cref="TunnelPathChoice"/> on its health; and for
    /// each failover route whose active path is one of them, that path for the route's prefix.
    /// Endpoints equal to <paramref name="previous"/>'s are reused (their cached socket address).
    /// </summary>
    public static TunnelSteering Build(
        IReadOnlyList<KeyValuePair<string, IPEndPoint>> paths,
        TopologySnapshot topology,
        Func<string, PathStatus?> health,
        RouteTable routes,
        Func<WanLink, AddressFamily, int> via,
        TunnelSteering? previous)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(via);
        var candidates = new List<TunnelPathCandidate>();
        var endpoints = new Dictionary<string, TunnelEndpoint>(StringComparer.Ordinal);
        var pathsByVia = new Dictionary<int, string>();
        foreach (var (pathId, address) in paths)
        {
            if (!topology.PathsById.TryGetValue(pathId, out var path) || !topology.LinksById.TryGetValue(path.LinkId, out var link))
            {
                continue; // validated at start; a path deleted through the API since is skipped
            }

            var socket = via(link, address.AddressFamily);
            var endpoint = previous?.Endpoints.GetValueOrDefault(pathId) is { } kept && kept.Via == socket && kept.Address.Equals(address)
                ? kept
                : new TunnelEndpoint(address, socket, pathId);
            endpoints[pathId] = endpoint;
            pathsByVia.TryAdd(socket, pathId);
            candidates.Add(new TunnelPathCandidate(pathId, link.Cost, health(pathId)));
        }

        var current = previous?.Default?.PathId;
        var fallback = TunnelPathChoice.Choose(candidates, null, current) is { } chosen ? endpoints[chosen] : null;

        // The per-destination part depends on the routes and the endpoints only, not on health:
        // a health change (the common wake-up) keeps the trie it has.
        var byDestination = previous is not null && ReferenceEquals(previous.Routes, routes) && SameEndpoints(previous.Endpoints, endpoints)
            ? previous._byDestination
            : Trie(candidates, routes, endpoints);
        return new TunnelSteering(fallback, byDestination, endpoints, pathsByVia, routes, PartnersOf(candidates, endpoints));
    }

    private static Dictionary<string, TunnelEndpoint> PartnersOf(List<TunnelPathCandidate> candidates, Dictionary<string, TunnelEndpoint> endpoints)
    {
        var partners = new Dictionary<string, TunnelEndpoint>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var others = candidates.Where(c => c.PathId != candidate.PathId).ToList();
            if (TunnelPathChoice.Choose(others, null, null) is { } other)
            {
                partners[candidate.PathId] = endpoints[other];
            }
        }

        return partners;
    }

    private static PrefixTrie<TunnelEndpoint>? Trie(List<TunnelPathCandidate> candidates, RouteTable routes, Dictionary<string, TunnelEndpoint> endpoints)
    {
        PrefixTrie<TunnelEndpoint>? byDestination = null;
        foreach (var route in routes.Routes)
        {
            if (TunnelPathChoice.Choose(candidates, route.PathId, null) is { } steered && steered == route.PathId)
            {
                (byDestination ??= new()).Add(new IpPrefix(route.Prefix.BaseAddress, route.Prefix.PrefixLength), endpoints[steered]);
            }
        }

        return byDestination;
    }

    private static bool SameEndpoints(IReadOnlyDictionary<string, TunnelEndpoint> a, Dictionary<string, TunnelEndpoint> b) =>
        a.Count == b.Count && b.All(e => a.TryGetValue(e.Key, out var kept) && ReferenceEquals(kept, e.Value));
}
