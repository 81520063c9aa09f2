using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Routing;

/// <summary>
/// An immutable route table with longest-prefix-match lookup. Built once per change and published
/// by swapping one reference (<see cref="RouteTableHolder"/>), so a reader sees the whole old
/// table or the whole new one, never half an update. Lookup walks the prefix lengths present,
/// longest first, probing one dictionary per length: O(distinct lengths), no allocation.
/// </summary>
public sealed class RouteTable
{
    public static RouteTable Empty { get; } = new([]);

    private readonly Level[] _v4;
    private readonly Level[] _v6;

    public RouteTable(IEnumerable<RouteEntry> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);

        // One pass into a dictionary per prefix length (a later duplicate prefix replaces an
        // earlier one: the caller decides precedence by order). Plain dictionaries: building a
        // 10,000-route table is on the failover path, and a frozen one costs several times more to
        // build for a lookup gain of a few nanoseconds.
        var v4 = new Dictionary<UInt128, RouteEntry>?[33];
        var v6 = new Dictionary<UInt128, RouteEntry>?[129];
        foreach (var route in routes)
        {
            var isV4 = route.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
            var length = route.Prefix.PrefixLength;
            var levels = isV4 ? v4 : v6;
            (levels[length] ??= [])[ToKey(route.Prefix.BaseAddress) & Mask(length, isV4 ? 32 : 128)] = route;
        }

        _v4 = Levels(v4, 32);
        _v6 = Levels(v6, 128);
        var list = new List<RouteEntry>();
        foreach (var level in _v4.Concat(_v6))
        {
            list.AddRange(level.Routes.Values);
        }

        Routes = list;
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

    private static Level[] Levels(Dictionary<UInt128, RouteEntry>?[] byLength, int bits)
    {
        var levels = new List<Level>();
        for (var length = bits; length >= 0; length--)
        {
            if (byLength[length] is { } routes)
            {
                levels.Add(new Level(Mask(length, bits), routes));
            }
        }

        return [.. levels];
    }

    private static UInt128 Mask(int length, int bits) =>
        length == 0 ? UInt128.Zero : (UInt128.MaxValue << (bits - length)) & (bits == 32 ? (UInt128)uint.MaxValue : UInt128.MaxValue);

    private static UInt128 ToKey(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private sealed record Level(UInt128 Mask, Dictionary<UInt128, RouteEntry> Routes);
}

/// <summary>The current <see cref="RouteTable"/>: swapped atomically by its one writer, read by anyone.</summary>
public sealed class RouteTableHolder
{
    private RouteTable _current = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Notified after every swap: followers (the tunnels' path steering) take a watch, then read <see cref="Current"/>.</summary>
    public Loops.ChangeSignal Changed { get; } = new();

    /// <summary>Publishes <paramref name="table"/>; returns the one it replaced.</summary>
    public RouteTable Swap(RouteTable table)
    {
        var old = Interlocked.Exchange(ref _current, table);
        Changed.Notify();
        return old;
    }
}
