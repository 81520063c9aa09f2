using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>What a shared STAMP sender socket is bound to (one link); sessions with equal bindings share a socket pool.</summary>
/// <param name="Family">IPv4 or IPv6.</param>
/// <param name="Source">Local address bound, or null for the kernel's choice.</param>
/// <param name="Interface">Interface bound with SO_BINDTODEVICE, or null.</param>
internal readonly record struct StampSocketBinding(AddressFamily Family, IPAddress? Source, string? Interface)
{
    public override string ToString() =>
        $"{(Family == AddressFamily.InterNetworkV6 ? "UDPv6" : "UDPv4")} source {Source?.ToString() ?? "any"} interface {Interface ?? "any"}";
}
