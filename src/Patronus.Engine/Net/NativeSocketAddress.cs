using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Net;

/// <summary>
/// Reading the Linux <c>sockaddr_in</c> / <c>sockaddr_in6</c> a receive fills in (family in host
/// order at 0, port in network order at 2, the IPv4 address at 4 or the IPv6 address at 8),
/// without allocating. An address is returned as an IPv6 value (IPv4 as IPv4-mapped
/// <c>::ffff:a.b.c.d</c>), so that one comparable, hashable key serves both families.
/// </summary>
internal static class NativeSocketAddress
{
    // Linux's AF_INET is 2 and AF_INET6 is 10 (not .NET's AddressFamily.InterNetworkV6, 23).
    private const ushort LinuxAfInet = 2;
    private const ushort LinuxAfInet6 = 10;
    private const int Sockaddr4Size = 8;
    private const int Sockaddr6Size = 24;

    // ::ffff:0:0/96, the IPv4-mapped prefix.
    private static readonly UInt128 s_mappedPrefix = (UInt128)0xffff << 32;

    /// <summary>False when <paramref name="sockaddr"/> is neither a whole sockaddr_in nor a whole sockaddr_in6.</summary>
    public static bool TryRead(ReadOnlySpan<byte> sockaddr, out UInt128 address, out int port)
    {
        address = default;
        port = 0;
        if (sockaddr.Length < 2)
        {
            return false;
        }

        var family = BitConverter.ToUInt16(sockaddr);
        if (family == LinuxAfInet && sockaddr.Length >= Sockaddr4Size)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
            address = s_mappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(sockaddr[4..]);
            return true;
        }

        if (family == LinuxAfInet6 && sockaddr.Length >= Sockaddr6Size)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
            address = BinaryPrimitives.ReadUInt128BigEndian(sockaddr[8..]);
            return true;
        }

        return false;
    }

    /// <summary>
    /// <paramref name="sockaddr"/> of <paramref name="family"/> as "address:port" (<c>[v6]:port</c>),
    /// or "?" when it is not one. For log lines at Debug, called only when they are written: allocates.
    /// </summary>
    public static string Describe(ReadOnlySpan<byte> sockaddr, AddressFamily family)
    {
        try
        {
            var address = new SocketAddress(family, sockaddr.Length);
            sockaddr.CopyTo(address.Buffer.Span);
            var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            return new IPEndPoint(any, 0).Create(address).ToString() ?? "?";
        }
#pragma warning disable CA1031 // a log detail must not kill the receive loop
        catch (Exception)
#pragma warning restore CA1031
        {
            return "?";
        }
    }

    /// <summary>
    /// True for an address no datagram can legitimately come from and no answer should go to:
    /// unspecified (<c>0.0.0.0</c>, <c>::</c>), IPv4 "this network" (0/8), multicast (224/4,
    /// ff00::/8) and the IPv4 limited broadcast 255.255.255.255. A subnet's directed broadcast
    /// cannot be told from a host address without the routing table and is not caught here.
    /// </summary>
    public static bool IsNotUnicast(UInt128 address)
    {
        if ((address >> 32) == 0xffff)
        {
            var v4 = (uint)address;
            return (v4 >> 24) == 0 || (v4 >> 28) == 0xe || v4 == uint.MaxValue;
        }

        return address == UInt128.Zero || (byte)(address >> 120) == 0xff;
    }
}
