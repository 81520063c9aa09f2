using System.Buffers.Binary;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// STAMP Session-Sender test packet, unauthenticated mode (RFC 8762 §4.2.1, Figure 3), 44 octets.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Sequence Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Timestamp                            |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Error Estimate        |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
/// |                                                               |
/// |                         MBZ (30 octets)                       |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// MBZ: RFC 8762 says it MUST be zeroed on transmission and MUST be ignored on receipt, so
/// <see cref="TryRead"/> accepts non-zero MBZ octets (and octets past 44: padding or RFC 8972
/// TLVs) and only rejects input shorter than 44 octets. <see cref="TryWrite"/> always zeroes MBZ.
/// </summary>
/// <param name="Sequence">Starts at 0 for a session and increments by one per packet sent.</param>
/// <param name="Timestamp">When the packet was sent (format per <see cref="ErrorEstimate.PtpTimestamps"/>).</param>
/// <param name="ErrorEstimate">The sender clock's error estimate.</param>
public readonly record struct StampSenderPacket(uint Sequence, NtpTimestamp Timestamp, ErrorEstimate ErrorEstimate)
{
    /// <summary>Octets on the wire (the base packet; longer datagrams carry padding).</summary>
    public const int Size = 44;

    private const int TimestampOffset = 4;
    private const int ErrorEstimateOffset = 12;
    private const int MbzOffset = 14;

    public static bool TryRead(ReadOnlySpan<byte> source, out StampSenderPacket packet)
    {
        if (source.Length < Size)
        {
            packet = default;
            return false;
        }

        packet = new StampSenderPacket(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source[TimestampOffset..])),
            new ErrorEstimate(BinaryPrimitives.ReadUInt16BigEndian(source[ErrorEstimateOffset..])));
        return true;
    }

    /// <summary>Overwrites the Timestamp of a packet already written to <paramref name="packet"/> (at least <see cref="Size"/> octets): a batched send stamps T1 just before the system call.</summary>
    public static void WriteTimestamp(Span<byte> packet, NtpTimestamp timestamp) =>
        BinaryPrimitives.WriteUInt64BigEndian(packet[TimestampOffset..], timestamp.Value);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (destination.Length < Size)
        {
            written = 0;
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, Sequence);
        BinaryPrimitives.WriteUInt64BigEndian(destination[TimestampOffset..], Timestamp.Value);
        BinaryPrimitives.WriteUInt16BigEndian(destination[ErrorEstimateOffset..], ErrorEstimate.Value);
        destination[MbzOffset..Size].Clear();
        written = Size;
        return true;
    }
}
