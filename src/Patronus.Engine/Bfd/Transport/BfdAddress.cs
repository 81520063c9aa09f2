using System.Buffers.Binary;
using System.Net;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// An IP address as a value (IPv4 kept as an IPv4-mapped IPv6 address), comparable and hashable
/// without allocation, read straight from a native sockaddr: the key that matches a received
/// packet to its session when Your Discriminator is still zero (RFC 5881 §3: by addresses).
/// </summary>
public readonly record struct BfdAddress(UInt128 Value)
{
    private const ushort LinuxAfInet = 2;
    private const ushort LinuxAfInet6 = 10;

    public static BfdAddress From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return new(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    /// <summary>Reads a Linux sockaddr_in / sockaddr_in6 (family in host order, port and address in network order).</summary>
    public static bool TryRead(ReadOnlySpan<byte> sockaddr, out BfdAddress address, out int port)
    {
        address = default;
        port = 0;
        if (sockaddr.Length < 2)
        {
            return false;
        }

        // Linux's AF_INET is 2 and AF_INET6 is 10 (not .NET's AddressFamily.InterNetworkV6, 23).
        var family = BitConverter.ToUInt16(sockaddr);
        if (family == LinuxAfInet && sockaddr.Length >= 8)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
            address = new((UInt128)0xffff << 32 | BinaryPrimitives.ReadUInt32BigEndian(sockaddr[4..]));
            return true;
        }

        if (family == LinuxAfInet6 && sockaddr.Length >= 24)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
            address = new(BinaryPrimitives.ReadUInt128BigEndian(sockaddr[8..]));
            return true;
        }

        return false;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Value);
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    public override string ToString() => ToIPAddress().ToString();
}
