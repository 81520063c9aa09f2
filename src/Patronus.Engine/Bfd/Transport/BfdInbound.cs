namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// One received datagram on its way to the session loop: a view into the buffer it was read
/// into (the loop's receive batch), valid until the loop reads again.
/// </summary>
/// <param name="Datagram">The datagram.</param>
/// <param name="Ttl">Received IPv4 TTL / IPv6 Hop Limit.</param>
/// <param name="Peer">Source address.</param>
/// <param name="PeerPort">Source UDP port.</param>
/// <param name="Local">The listener's address (the packet's destination).</param>
/// <param name="Multihop">Received on the multihop port (4784).</param>
/// <param name="ReceivedAt">
/// When it arrived (monotonic TimeProvider timestamp): the kernel's receive timestamp brought onto
/// the loop's clock (<see cref="BfdArrival"/>), so that a datagram read late is not a late packet.
/// </param>
public readonly record struct BfdInbound(ArraySegment<byte> Datagram, byte Ttl, BfdAddress Peer, int PeerPort, BfdAddress Local, bool Multihop, long ReceivedAt)
{
    public ReadOnlySpan<byte> Packet => Datagram.AsSpan();
}
