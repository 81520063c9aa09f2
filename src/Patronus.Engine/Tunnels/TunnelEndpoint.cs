using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Where a tunnel datagram goes, or came from: the peer's address and the local socket it leaves
/// or arrived by (<see cref="Via"/>: 0 the listen socket, which follows the kernel's routes; from
/// 1 a socket bound to one WAN link). Made once per configured endpoint or per distinct sender,
/// not per datagram; immutable apart from the transport's cached socket address.
/// </summary>
public sealed class TunnelEndpoint
{
    /// <summary>An endpoint on the listen socket, outside any path (a plain <c>Endpoint</c>, or a sender).</summary>
    public TunnelEndpoint(IPEndPoint address, int via = 0, string? pathId = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(address.Address.MapToIPv4(), address.Port) : address;
        Via = via;
        PathId = pathId;
    }

    /// <summary>The peer's address and port (IPv4 addresses unmapped).</summary>
    public IPEndPoint Address { get; }

    /// <summary>The local socket: 0 the listen socket, from 1 a WAN link's socket.</summary>
    public int Via { get; }

    /// <summary>The path this endpoint belongs to, or null for a plain endpoint or a sender.</summary>
    public string? PathId { get; }

    /// <summary>The transport's serialized form of <see cref="Address"/> for <see cref="Via"/>'s socket (set on first send).</summary>
    internal SocketAddress? Serialized { get; set; }

    /// <summary>The same address and socket.</summary>
    public bool SameAs(TunnelEndpoint? other) => other is not null && other.Via == Via && other.Address.Equals(Address);

    /// <inheritdoc/>
    public override string ToString() => PathId is null ? Address.ToString() : $"{Address} (path {PathId})";

    /// <summary>The family the endpoint needs a socket of.</summary>
    internal AddressFamily Family => Address.AddressFamily;
}
