using System.Buffers;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// One received datagram on its way from a listener to the session loop. <see cref="Buffer"/> is
/// rented from <see cref="ArrayPool{T}.Shared"/>: the consumer returns it with <see cref="Release"/>.
/// </summary>
/// <param name="Buffer">The datagram in its first <paramref name="Length"/> octets.</param>
/// <param name="Length">Datagram length.</param>
/// <param name="Ttl">Received IPv4 TTL / IPv6 Hop Limit.</param>
/// <param name="Peer">Source address.</param>
/// <param name="PeerPort">Source UDP port.</param>
/// <param name="Local">The listener's address (the packet's destination).</param>
/// <param name="Multihop">Received on the multihop port (4784).</param>
/// <param name="ReceivedAt">Monotonic receive time (TimeProvider timestamp).</param>
public readonly record struct BfdInbound(byte[] Buffer, int Length, byte Ttl, BfdAddress Peer, int PeerPort, BfdAddress Local, bool Multihop, long ReceivedAt)
{
    public ReadOnlySpan<byte> Packet => Buffer.AsSpan(0, Length);

    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}
