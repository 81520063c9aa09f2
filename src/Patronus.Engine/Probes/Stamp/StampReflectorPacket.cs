using System.Buffers.Binary;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// STAMP Session-Reflector test packet, unauthenticated mode (RFC 8762 §4.3.1, Figure 5), 44 octets.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Sequence Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Timestamp                            |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Error Estimate        |            MBZ                |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Receive Timestamp                    |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Session-Sender Sequence Number                |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Session-Sender Timestamp                     |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Session-Sender Error Estimate |            MBZ                |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Ses-Sender TTL |                   MBZ                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Timestamp (T3) is when the reflector sent the packet, Receive Timestamp (T2) when it received
/// the test packet; both use the format given by <see cref="ErrorEstimate"/>'s Z bit. The
/// Session-Sender fields are copies from the test packet; Session-Sender TTL is the received IPv4
/// TTL or IPv6 Hop Limit. MBZ octets are zeroed by <see cref="TryWrite"/> and ignored by
/// <see cref="TryRead"/> (RFC 8762: MUST be ignored on receipt), which only rejects input shorter
/// than 44 octets.
/// </summary>
public readonly record struct StampReflectorPacket(
    uint Sequence,
    NtpTimestamp Timestamp,
    ErrorEstimate ErrorEstimate,
    NtpTimestamp ReceiveTimestamp,
    uint SenderSequence,
    NtpTimestamp SenderTimestamp,
    ErrorEstimate SenderErrorEstimate,
    byte SenderTtl)
{
    /// <summary>Octets on the wire (the base packet; longer datagrams carry padding).</summary>
    public const int Size = 44;

    private const int TimestampOffset = 4;
    private const int ErrorEstimateOffset = 12;
    private const int Mbz1Offset = 14;
    private const int ReceiveTimestampOffset = 16;
    private const int SenderSequenceOffset = 24;
    private const int SenderTimestampOffset = 28;
    private const int SenderErrorEstimateOffset = 36;
    private const int Mbz2Offset = 38;
    private const int SenderTtlOffset = 40;
    private const int Mbz3Offset = 41;

    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>Overwrites the Timestamp (T3) of a reply already written to <paramref name="packet"/> (at least <see cref="Size"/> octets): a batched reply is stamped just before the system call.</summary>
    public static void WriteTimestamp(Span<byte> packet, NtpTimestamp timestamp) =>
        BinaryPrimitives.WriteUInt64BigEndian(packet[TimestampOffset..], timestamp.Value);

    /// <summary>
    /// The reflector's hold time T3 − T2 (<see cref="Timestamp"/> − <see cref="ReceiveTimestamp"/>),
    /// in NTP or PTPv2-truncated format as the Z bit of <see cref="ErrorEstimate"/> says. False
    /// when a PTP nanoseconds field is out of range. The result may be negative or absurd if the
    /// reflector's clock misbehaves: callers bound it by the measured round trip.
    /// </summary>
    public bool TryGetHoldTime(out TimeSpan hold)
    {
        if (!ErrorEstimate.PtpTimestamps)
        {
            hold = Timestamp - ReceiveTimestamp;
            return true;
        }

        // PTPv2 truncated (RFC 8186 §2.3 / IEEE 1588): 32-bit seconds, 32-bit nanoseconds.
        var (t3s, t3ns) = (Timestamp.Seconds, Timestamp.Fraction);
        var (t2s, t2ns) = (ReceiveTimestamp.Seconds, ReceiveTimestamp.Fraction);
        if (t3ns >= NanosecondsPerSecond || t2ns >= NanosecondsPerSecond)
        {
            hold = default;
            return false;
        }

        var nanoseconds = ((long)(int)(t3s - t2s) * NanosecondsPerSecond) + ((long)t3ns - t2ns);
        hold = TimeSpan.FromTicks(nanoseconds / 100);
        return true;
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out StampReflectorPacket packet)
    {
        if (source.Length < Size)
        {
            packet = default;
            return false;
        }

        packet = new StampReflectorPacket(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source[TimestampOffset..])),
            new ErrorEstimate(BinaryPrimitives.ReadUInt16BigEndian(source[ErrorEstimateOffset..])),
            new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source[ReceiveTimestampOffset..])),
            BinaryPrimitives.ReadUInt32BigEndian(source[SenderSequenceOffset..]),
            new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source[SenderTimestampOffset..])),
            new ErrorEstimate(BinaryPrimitives.ReadUInt16BigEndian(source[SenderErrorEstimateOffset..])),
            source[SenderTtlOffset]);
        return true;
    }

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
        destination[Mbz1Offset..ReceiveTimestampOffset].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(destination[ReceiveTimestampOffset..], ReceiveTimestamp.Value);
        BinaryPrimitives.WriteUInt32BigEndian(destination[SenderSequenceOffset..], SenderSequence);
        BinaryPrimitives.WriteUInt64BigEndian(destination[SenderTimestampOffset..], SenderTimestamp.Value);
        BinaryPrimitives.WriteUInt16BigEndian(destination[SenderErrorEstimateOffset..], SenderErrorEstimate.Value);
        destination[Mbz2Offset..SenderTtlOffset].Clear();
        destination[SenderTtlOffset] = SenderTtl;
        destination[Mbz3Offset..Size].Clear();
        written = Size;
        return true;
    }
}
