using System.Buffers.Binary;
using System.Net;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// An IP address as a value (IPv4 kept as an IPv4-mapped IPv6 address), comparable and hashable
/// without allocation, read straight from a native sockaddr: the key that matches a received
/// packet to its session when Your Discriminator is still zero (RFC 5881 §3: by addresses).
/// </summary>
public readonly record struct BfdAddress(UInt128 Value)
{
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
        var read = NativeSocketAddress.TryRead(sockaddr, out var value, out port);
        address = new(value);
        return read;
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
