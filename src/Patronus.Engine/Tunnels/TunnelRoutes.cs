using System.Net;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Which kernel routes a tunnel interface wants for its peers' allowed prefixes (wg-quick's
/// <c>ip route add PREFIX dev IFACE</c> per allowed IP), and which prefixes it leaves out, each
/// with its reason:
/// <list type="bullet">
/// <item>one equal to or inside the tunnel's own network (the connected prefix of its address):
/// the kernel's interface route covers it already (wg-quick's check "a route of the interface
/// already matches"), and an equal one would replace that route and take it away on stop;</item>
/// <item>one holding a peer's endpoint: the tunnel's own datagrams to that endpoint would be
/// routed into the tunnel (a loop; wg-quick avoids it only for a default route, with policy
/// routing, which Patronus does not do).</item>
/// </list>
/// A wider prefix that holds the tunnel's own address (a hub's 10.0.0.0/8) is routed, as wg-quick
/// does: the local table, looked up first, still delivers the own address. A prefix two peers
/// allow is routed once. Pure: tested by a table.
/// </summary>
public static class TunnelRoutes
{
    /// <summary>The routes wanted for <paramref name="options"/>'s peers into <paramref name="interfaceName"/>, and the prefixes skipped.</summary>
    public static TunnelRoutePlan Plan(TunnelOptions options, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var own = new List<IPNetwork>();
        foreach (var text in options.Addresses)
        {
            if (IpPrefix.TryParse(text, out var network, out _))
            {
                own.Add(new IPNetwork(network.Address, network.Length));
            }
        }

        var wanted = new Dictionary<IPNetwork, RouteEntry>();
        var skipped = new List<TunnelRouteSkip>();
        foreach (var peer in options.Peers)
        {
            var name = peer.Name ?? peer.PublicKey[..Math.Min(8, peer.PublicKey.Length)];
            var endpoints = Endpoints(peer).ToList();
            foreach (var text in peer.AllowedIps)
            {
                if (!IpPrefix.TryParse(text, out var parsed, out _))
                {
                    continue; // a malformed one fails option validation at start
                }

                var prefix = new IPNetwork(parsed.Address, parsed.Length);
                var reason = Reason(prefix, own, endpoints);
                if (reason is not null)
                {
                    skipped.Add(new TunnelRouteSkip(prefix, name, reason));
                }
                else
                {
                    wanted.TryAdd(prefix, new RouteEntry(prefix, "tunnel", name, interfaceName, null, interfaceName));
                }
            }
        }

        return new TunnelRoutePlan(new RouteTable(wanted.Values), skipped);
    }

    private static string? Reason(IPNetwork prefix, List<IPNetwork> own, List<IPAddress> endpoints)
    {
        foreach (var network in own)
        {
            if (network.BaseAddress.AddressFamily == prefix.BaseAddress.AddressFamily && network.PrefixLength <= prefix.PrefixLength
                && network.Contains(prefix.BaseAddress))
            {
                return $"is inside the tunnel's own network {network}, which the interface route covers";
            }
        }

        foreach (var endpoint in endpoints)
        {
            if (prefix.Contains(endpoint))
            {
                return $"holds the peer endpoint {endpoint}: the tunnel's datagrams would loop into the tunnel";
            }
        }

        return null;
    }

    private static IEnumerable<IPAddress> Endpoints(TunnelPeerOptions peer)
    {
        foreach (var text in peer.Endpoints.Values.Append(peer.Endpoint))
        {
            if (TunnelOptionsValidator.TryParseEndpoint(text, out var endpoint))
            {
                yield return endpoint!.Address;
            }
        }
    }
}

/// <summary>The routes a tunnel installs (<see cref="TunnelRoutes.Plan"/>) and the prefixes it leaves out.</summary>
/// <param name="Wanted">One on-link route per prefix into the tunnel interface (policy "tunnel", path = the peer's name).</param>
/// <param name="Skipped">The allowed prefixes without a route, each with the peer and the reason.</param>
public sealed record TunnelRoutePlan(RouteTable Wanted, IReadOnlyList<TunnelRouteSkip> Skipped);

/// <summary>An allowed prefix of <paramref name="Peer"/> that gets no route, and why.</summary>
public sealed record TunnelRouteSkip(IPNetwork Prefix, string Peer, string Reason);
