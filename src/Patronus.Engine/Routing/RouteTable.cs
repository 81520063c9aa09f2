using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Routing;

/// <summary>
/// An immutable route table with longest-prefix-match lookup. Built once per change and published
/// by swapping one reference (<see cref="RouteTableHolder"/>), so a reader sees the whole old
/// table or the whole new one, never half an update. Lookup walks the prefix lengths present,
/// longest first, probing one frozen dictionary per length: O(distinct lengths), no allocation.
/// </summary>
public sealed class RouteTable
{
    public static RouteTable Empty { get; } = new([]);

    private readonly Level[] _v4;
    private readonly Level[] _v6;

    public RouteTable(IEnumerable<RouteEntry> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var byPrefix = new Dictionary<IPNetwork, RouteEntry>();
        foreach (var route in routes)
        {
            // Last one wins for a duplicate prefix: the caller decides precedence by order.
            byPrefix[route.Prefix] = route;
        }

        Routes = [.. byPrefix.Values.OrderBy(r => r.Prefix.BaseAddress.AddressFamily).ThenByDescending(r => r.Prefix.PrefixLength).ThenBy(r => r.Prefix.ToString(), StringComparer.Ordinal)];
        _v4 = Levels(Routes.Where(r => r.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork));
        _v6 = Levels(Routes.Where(r => r.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6));
    }

    /// <summary>Every route, IPv4 first, longest prefixes first.</summary>
    public IReadOnlyList<RouteEntry> Routes { get; }

    public int Count => Routes.Count;

    /// <summary>The most specific route containing <paramref name="destination"/>, or null.</summary>
    public RouteEntry? Lookup(IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.IsIPv4MappedToIPv6)
        {
            destination = destination.MapToIPv4();
        }

        var v4 = destination.AddressFamily == AddressFamily.InterNetwork;
        var key = ToKey(destination);
        foreach (var level in v4 ? _v4 : _v6)
        {
            if (level.Routes.TryGetValue(key & level.Mask, out var route))
            {
                return route;
            }
        }

        return null;
    }

    private static Level[] Levels(IEnumerable<RouteEntry> routes) =>
        [.. routes.GroupBy(r => r.Prefix.PrefixLength)
            .OrderByDescending(g => g.Key)
            .Select(g =>
            {
                var v4 = g.First().Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
                var mask = Mask(g.Key, v4 ? 32 : 128);
                return new Level(mask, g.ToFrozenDictionary(r => ToKey(r.Prefix.BaseAddress) & mask));
            })];

    private static UInt128 Mask(int length, int bits) =>
        length == 0 ? UInt128.Zero : (UInt128.MaxValue << (bits - length)) & (bits == 32 ? (UInt128)uint.MaxValue : UInt128.MaxValue);

    private static UInt128 ToKey(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private sealed record Level(UInt128 Mask, FrozenDictionary<UInt128, RouteEntry> Routes);
}

/// <summary>The current <see cref="RouteTable"/>: swapped atomically by its one writer, read by anyone.</summary>
public sealed class RouteTableHolder
{
    private RouteTable _current = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="table"/>; returns the one it replaced.</summary>
    public RouteTable Swap(RouteTable table) => Interlocked.Exchange(ref _current, table);
}
