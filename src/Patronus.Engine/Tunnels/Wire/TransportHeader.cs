using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Wire;

/// <summary>
/// Transport data (WireGuard whitepaper §5.4.6): a 16-octet header, then the encrypted packet
/// (a padded IP packet, or nothing for a keepalive) and its 16-octet Poly1305 tag.
/// <code>
/// +--------+-----------------+------------------+-----------------+---------------------------+
/// | type 4 | reserved (3, 0) | receiver (u32le) | counter (u64le) | packet (n) + tag (16)     |
/// +--------+-----------------+------------------+-----------------+---------------------------+
/// </code>
/// The struct is the header only: the payload stays in the caller's buffer (no copy per packet).
/// </summary>
/// <param name="ReceiverIndex">The receiving side's session index.</param>
/// <param name="Counter">The nonce counter of this packet in its session.</param>
public readonly record struct TransportHeader(uint ReceiverIndex, ulong Counter)
{
    /// <summary>Octets of the header.</summary>
    public const int Size = 16;

    /// <summary>Smallest message: header plus the tag of an empty payload (a keepalive).</summary>
    public const int MinimumMessageSize = Size + Bytes16.Size;

    /// <summary>
    /// Reads the header of a transport message and hands out the sealed payload (ciphertext and
    /// tag) as a slice of <paramref name="source"/>; false when the message is shorter than
    /// <see cref="MinimumMessageSize"/> or the header is not type 4 with zero reserved octets.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out TransportHeader header, out ReadOnlySpan<byte> sealedPayload)
    {
        header = default;
        sealedPayload = default;
        if (source.Length < MinimumMessageSize
            || !MessageHeader.TryReadType(source, out var type) || type != MessageType.TransportData)
        {
            return false;
        }

        header = new TransportHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]), BinaryPrimitives.ReadUInt64LittleEndian(source[8..]));
        sealedPayload = source[Size..];
        return true;
    }

    /// <summary>Writes the 16-octet header; false when <paramref name="destination"/> is shorter.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < Size)
        {
            return false;
        }

        MessageHeader.Write(destination, MessageType.TransportData);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], ReceiverIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Counter);
        written = Size;
        return true;
    }
}
