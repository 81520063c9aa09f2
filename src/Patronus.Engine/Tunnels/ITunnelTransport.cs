using System.Net;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Where a <see cref="TunnelDevice"/> puts its output: datagrams to the UDP socket, decrypted
/// packets to the TUN device. Calls come from the device's receive, TUN and timer threads.
/// </summary>
public interface ITunnelTransport
{
    /// <summary>Sends one WireGuard message to <paramref name="destination"/>; a failure is the transport's to count.</summary>
    void SendDatagram(ReadOnlySpan<byte> datagram, IPEndPoint destination);

    /// <summary>Writes one decrypted IP packet to the TUN device.</summary>
    void WritePacket(ReadOnlySpan<byte> packet);
}
