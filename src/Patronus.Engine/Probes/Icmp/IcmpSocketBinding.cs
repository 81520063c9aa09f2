using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>What a shared raw ICMP socket is bound to; sessions with equal bindings share one socket.</summary>
/// <param name="Family">IPv4 (ICMP) or IPv6 (ICMPv6).</param>
/// <param name="Source">Local address bound, or null for any.</param>
/// <param name="Interface">Interface bound with SO_BINDTODEVICE, or null.</param>
internal readonly record struct IcmpSocketBinding(AddressFamily Family, IPAddress? Source, string? Interface)
{
    public override string ToString() =>
        $"{(Family == AddressFamily.InterNetworkV6 ? "ICMPv6" : "ICMPv4")} source {Source?.ToString() ?? "any"} interface {Interface ?? "any"}";
}
