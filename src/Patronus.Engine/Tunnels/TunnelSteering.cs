using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Where one peer's tunnel datagrams go now: an immutable snapshot, rebuilt when the topology,
/// the paths' health or the failover route table changes, and swapped whole into the peer, so the
/// sending threads read it without a lock. <see cref="For(ReadOnlySpan{byte})"/> is one trie lookup per packet.
/// </summary>
public sealed class TunnelSteering
{
    private readonly PrefixTrie<TunnelEndpoint>? _byDestination;
    private readonly ClassSteering?[]? _classes;

    private TunnelSteering(TunnelEndpoint? fallback, PrefixTrie<TunnelEndpoint>? byDestination, IReadOnlyDictionary<string, TunnelEndpoint> endpoints,
        IReadOnlyDictionary<int, string> pathsByVia, RouteTable routes, IReadOnlyDictionary<string, TunnelEndpoint> partners, ClassSteering?[]? classes)
    {
        _classes = classes;
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
    /// The endpoint for a packet of class <paramref name="classIndex"/> (<see cref="TrafficClass.Index"/>;
    /// −1: not classified) to <paramref name="destination"/>: the active path of the class policy
    /// covering it, else the class's first preferred path that meets its SLA, else <see cref="For(ReadOnlySpan{byte})"/>.
    /// One array read more than the class-less lookup when no class steers.
    /// </summary>
    public TunnelEndpoint? For(ReadOnlySpan<byte> destination, int classIndex)
    {
        if (_classes is { } classes && (uint)classIndex < (uint)classes.Length && classes[classIndex] is { } steering)
        {
            if (steering.ByDestination?.Lookup(destination) is { } steered)
            {
                return steered;
            }

            if (steering.Preferred is { } preferred)
            {
                return preferred;
            }
        }

        return For(destination);
    }

    /// <summary>The preferred path that class <paramref name="classIndex"/>'s packets take when no class policy covers them, or null (see <see cref="ClassPathChoice"/>).</summary>
    public string? PreferredPathOf(int classIndex) =>
        _classes is { } classes && (uint)classIndex < (uint)classes.Length ? classes[classIndex]?.Preferred?.PathId : null;

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
        TunnelSteering? previous,
        TunnelClassInputs? classes = null)
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
        return new TunnelSteering(fallback, byDestination, endpoints, pathsByVia, routes, PartnersOf(candidates, endpoints),
            classes is null ? null : ClassesOf(classes, candidates, endpoints));
    }

    /// <summary>Per class: the trie of its class policies' routes and its preferred path now; null when no class steers.</summary>
    private static ClassSteering?[]? ClassesOf(TunnelClassInputs inputs, List<TunnelPathCandidate> candidates, Dictionary<string, TunnelEndpoint> endpoints)
    {
        ClassSteering?[]? result = null;
        foreach (var trafficClass in inputs.Classes)
        {
            var trie = inputs.Routes.ByClass.TryGetValue(trafficClass.Name, out var table) ? Trie(candidates, table, endpoints) : null;
            var preferred = ClassPathChoice.Preferred(trafficClass.PreferredPaths, endpoints.ContainsKey, id => inputs.MeetsSla(id, trafficClass.Sla));
            if (trie is not null || preferred is not null)
            {
                (result ??= new ClassSteering?[inputs.Classes.Count])[trafficClass.Index] = new ClassSteering(trie, preferred is null ? null : endpoints[preferred]);
            }
        }

        return result;
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

    /// <summary>One class's steering: its class policies' routes, and its preferred path meeting its SLA.</summary>
    private sealed record ClassSteering(PrefixTrie<TunnelEndpoint>? ByDestination, TunnelEndpoint? Preferred);
}

/// <summary>What per-class steering is built from (issue 16).</summary>
/// <param name="Classes">The classifier's classes, by index.</param>
/// <param name="Routes">The class policies' routes (<see cref="Failover.FailoverService.ClassRoutes"/>).</param>
/// <param name="MeetsSla">Whether a path (by id) meets an SLA now (<see cref="TrafficSla.IsMetBy"/> on its health).</param>
public sealed record TunnelClassInputs(IReadOnlyList<TrafficClass> Classes, Failover.ClassRouteTables Routes, Func<string, TrafficSla, bool> MeetsSla);
