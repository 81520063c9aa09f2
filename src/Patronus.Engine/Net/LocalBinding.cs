using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Net;

/// <summary>
/// The local end of a socket, the key of a <see cref="SharedSocketPool{TKey, TSocket}"/>: what
/// sockets with equal bindings would be bound to, so one can serve for all.
/// </summary>
/// <param name="Family">IPv4 or IPv6.</param>
/// <param name="Protocol"><see cref="ProtocolType.Udp"/> (a datagram socket), or <see cref="ProtocolType.Icmp"/> / <see cref="ProtocolType.IcmpV6"/> (a raw socket).</param>
/// <param name="Address">Local address bound, or null for the wildcard of <paramref name="Family"/>.</param>
/// <param name="Port">Local port bound (UDP), or 0 for the kernel's choice.</param>
/// <param name="Interface">Interface bound with SO_BINDTODEVICE, or null.</param>
internal readonly record struct LocalBinding(AddressFamily Family, ProtocolType Protocol, IPAddress? Address, int Port, string? Interface)
{
    /// <summary>A UDP socket from <paramref name="address"/> (any when null) on a port the kernel picks.</summary>
    public static LocalBinding Udp(AddressFamily family, IPAddress? address, string? device) =>
        new(family, ProtocolType.Udp, address, 0, device);

    /// <summary>A raw ICMP (IPv4) or ICMPv6 socket.</summary>
    public static LocalBinding Icmp(AddressFamily family, IPAddress? address, string? device) =>
        new(family, family == AddressFamily.InterNetworkV6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp, address, 0, device);

    public bool IsIPv6 => Family == AddressFamily.InterNetworkV6;

    /// <summary>The endpoint to bind: <see cref="Address"/> or the family's wildcard, and <see cref="Port"/>.</summary>
    public IPEndPoint LocalEndPoint => new(Address ?? (IsIPv6 ? IPAddress.IPv6Any : IPAddress.Any), Port);

    public override string ToString() =>
        $"{(Protocol == ProtocolType.Udp ? "UDP" : "ICMP")}{(IsIPv6 ? "v6" : "v4")} source {Address?.ToString() ?? "any"}{(Port == 0 ? "" : $" port {Port}")} interface {Interface ?? "any"}";
}
