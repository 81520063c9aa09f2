using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// A UDP peer (address and port) as read from the native sockaddr the kernel fills in on receive,
/// the key a shared <see cref="StampSocket"/> routes replies by. Built from the raw octets
/// without allocation: <c>sockaddr_in</c> port at 2..4 and address at 4..8, <c>sockaddr_in6</c>
/// port at 2..4 and address at 8..24. The IPv6 flow label (4..8) is left out because it differs
/// per packet; so is the scope id (24..28), so two link-local targets that differ only by scope
/// have one key and, on one socket, are told apart by their slot like any two sessions to one
/// reflector (<see cref="StampSlotTable"/>).
/// </summary>
/// <param name="High">Address octets 0..8 as stored (0 for IPv4).</param>
/// <param name="Low">Address octets 8..16 as stored (IPv6), or the 4 IPv4 octets.</param>
/// <param name="Port">The port octets as stored (network order, not converted).</param>
internal readonly record struct StampPeer(ulong High, ulong Low, ushort Port)
{
    private const int Sockaddr4Size = 8;
    private const int Sockaddr6Size = 24;

    /// <summary>Reads a <c>sockaddr_in</c> or <c>sockaddr_in6</c>; false when it is shorter than its family needs.</summary>
    public static bool TryRead(ReadOnlySpan<byte> sockaddr, AddressFamily family, out StampPeer peer)
    {
        if (family == AddressFamily.InterNetworkV6 ? sockaddr.Length < Sockaddr6Size : sockaddr.Length < Sockaddr4Size)
        {
            peer = default;
            return false;
        }

        var port = MemoryMarshal.Read<ushort>(sockaddr[2..]);
        peer = family == AddressFamily.InterNetworkV6
            ? new StampPeer(MemoryMarshal.Read<ulong>(sockaddr[8..]), MemoryMarshal.Read<ulong>(sockaddr[16..]), port)
            : new StampPeer(0, MemoryMarshal.Read<uint>(sockaddr[4..]), port);
        return true;
    }

    /// <summary>
    /// Writes this peer as the destination sockaddr of <paramref name="family"/> into
    /// <paramref name="sockaddr"/>, whose family field is already set (a <see cref="SocketAddress"/>
    /// of that family): the inverse of <see cref="TryRead"/>, with flow label 0 and the given IPv6 scope.
    /// </summary>
    public void Write(Span<byte> sockaddr, AddressFamily family, uint scopeId)
    {
        var port = Port;
        MemoryMarshal.Write(sockaddr[2..], in port);
        if (family == AddressFamily.InterNetworkV6)
        {
            sockaddr.Slice(4, 4).Clear();
            var high = High;
            var low = Low;
            MemoryMarshal.Write(sockaddr[8..], in high);
            MemoryMarshal.Write(sockaddr[16..], in low);
            MemoryMarshal.Write(sockaddr[24..], in scopeId);
        }
        else
        {
            var address = (uint)Low;
            MemoryMarshal.Write(sockaddr[4..], in address);
        }
    }

    /// <summary>The key of <paramref name="endPoint"/> (IPv4 or IPv6), through the same native layout the kernel reports.</summary>
    public static bool TryFrom(IPEndPoint endPoint, out StampPeer peer)
    {
        var address = endPoint.Serialize();
        return TryRead(address.Buffer.Span[..address.Size], endPoint.AddressFamily, out peer);
    }
}
