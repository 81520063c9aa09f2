using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Patronus.TestSupport;

/// <summary>
/// Sends an IPv4 UDP datagram with a source port (and local source address) of the test's
/// choosing through a raw socket: the kernel writes the IP header, the test writes the UDP
/// header. That is how an attacker spoofs a source; here it stays on loopback. Needs root or
/// CAP_NET_RAW (<see cref="IsAvailable"/>).
/// </summary>
public static class SpoofedUdp
{
    private const int UdpHeader = 8;

    public static bool IsAvailable => Environment.IsPrivilegedProcess;

    /// <summary>Sends <paramref name="payload"/> from <paramref name="source"/> to <paramref name="destination"/> (both IPv4, on this host).</summary>
    public static void Send(IPEndPoint source, IPEndPoint destination, ReadOnlySpan<byte> payload)
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp);

        // Binding a raw socket sets the source address of what it sends; the port is ignored.
        raw.Bind(new IPEndPoint(source.Address, 0));
        var datagram = new byte[UdpHeader + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);

        // Checksum 0: "no checksum", which IPv4 UDP receivers accept (RFC 768).
        payload.CopyTo(datagram.AsSpan(UdpHeader));
        raw.SendTo(datagram, new IPEndPoint(destination.Address, 0));
    }
}
