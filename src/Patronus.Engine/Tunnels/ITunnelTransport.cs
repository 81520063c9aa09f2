namespace Patronus.Engine.Tunnels;

/// <summary>
/// Where a <see cref="TunnelDevice"/> puts its output: datagrams to the UDP socket, decrypted
/// packets to the TUN device. Calls come from the device's receive, TUN and timer threads.
/// </summary>
public interface ITunnelTransport
{
    /// <summary>
    /// Sends one WireGuard message to <paramref name="destination"/> through its socket
    /// (<see cref="TunnelEndpoint.Via"/>); a failure is the transport's to count.
    /// </summary>
    void SendDatagram(ReadOnlySpan<byte> datagram, TunnelEndpoint destination);

    /// <summary>Writes one decrypted IP packet to the TUN device; false when the device did not take it (the device counts the drop).</summary>
    bool WritePacket(ReadOnlySpan<byte> packet);
}
