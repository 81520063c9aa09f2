using System.Net;

namespace Patronus.Engine.Routing;

/// <summary>
/// Prefixes a feature of Patronus carries itself instead of through a WAN route: a tunnel peer's
/// allowed prefixes (cryptokey routing). Failover still decides which path their traffic takes —
/// the tunnel sends its datagrams on the policy's active path — but installs no kernel route for a
/// policy prefix inside one: that route would be at least as specific as the tunnel interface's and
/// send the remote LAN's packets out of the WAN link in clear text. A policy prefix wider than a
/// carried one is installed: longest-prefix match keeps the carried part in the tunnel.
/// </summary>
public sealed class CarriedPrefixes
{
    private readonly (IPNetwork Prefix, string Carrier)[] _prefixes;

    public CarriedPrefixes(IEnumerable<(IPNetwork Prefix, string Carrier)> prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        _prefixes = prefixes.ToArray();
    }

    /// <summary>Nothing is carried: every policy prefix gets its kernel route.</summary>
    public static CarriedPrefixes None { get; } = new([]);

    /// <summary>Every carried prefix with what carries it (e.g. "tunnel peer site-b").</summary>
    public IReadOnlyList<(IPNetwork Prefix, string Carrier)> Prefixes => _prefixes;

    /// <summary>What carries <paramref name="prefix"/> (a carried prefix that contains it or equals it); null when nothing does.</summary>
    public string? CarrierOf(IPNetwork prefix)
    {
        foreach (var (carried, carrier) in _prefixes)
        {
            if (carried.BaseAddress.AddressFamily == prefix.BaseAddress.AddressFamily &&
                carried.PrefixLength <= prefix.PrefixLength && carried.Contains(prefix.BaseAddress))
            {
                return carrier;
            }
        }

        return null;
    }
}
