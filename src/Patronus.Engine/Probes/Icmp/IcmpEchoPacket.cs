using System.Buffers.Binary;
using System.Net.Sockets;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// An ICMP echo request or reply as Patronus sends it: the echo header followed by an 8-byte
/// probe payload (a magic number and the full 32-bit probe sequence, so that a reply is matched
/// to its probe after the 16-bit ICMP sequence wraps, and replies to other pingers on the host
/// are told apart).
/// <code>
/// RFC 792 "Echo or Echo Reply Message" (ICMPv4: type 8 request, 0 reply)
/// RFC 4443 §4.1, §4.2 (ICMPv6: type 128 request, 129 reply)
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |     Code      |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Identifier          |        Sequence Number        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Magic ("PTRN", Patronus)                  |  Data (echoed
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  unchanged by
/// |                    Full 32-bit probe sequence                 |  the target)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Checksum: for ICMPv4, the Internet checksum (RFC 1071) of the whole ICMP message;
/// <see cref="TryWrite"/> computes it. For ICMPv6 it also covers an IPv6 pseudo-header
/// (RFC 4443 §2.3) that only the kernel knows in full (the source address is chosen at send
/// time): on Linux a raw <c>IPPROTO_ICMPV6</c> socket always has the kernel compute the
/// checksum on send and verify it on receive (RFC 3542 §3.1; <c>rawv6_init_sk</c> sets checksum
/// offset 2), so <see cref="TryWrite"/> leaves it zero for ICMPv6 types.
/// </summary>
/// <param name="Type">ICMP type: <see cref="EchoRequestV4"/>, <see cref="EchoReplyV4"/>, <see cref="EchoRequestV6"/> or <see cref="EchoReplyV6"/>.</param>
/// <param name="Code">ICMP code, 0 for echo.</param>
/// <param name="Checksum">The checksum as read; ignored by <see cref="TryWrite"/>, which computes it.</param>
/// <param name="Identifier">Echo identifier: which probe session the packet belongs to.</param>
/// <param name="Sequence">16-bit echo sequence number, the low 16 bits of <paramref name="FullSequence"/>.</param>
/// <param name="Magic">First payload word; <see cref="PatronusMagic"/> in Patronus probes.</param>
/// <param name="FullSequence">Second payload word: the full 32-bit probe sequence.</param>
public readonly record struct IcmpEchoPacket(
    byte Type, byte Code, ushort Checksum, ushort Identifier, ushort Sequence, uint Magic, uint FullSequence)
{
    /// <summary>ICMPv4 echo request (RFC 792).</summary>
    public const byte EchoRequestV4 = 8;

    /// <summary>ICMPv4 echo reply (RFC 792).</summary>
    public const byte EchoReplyV4 = 0;

    /// <summary>ICMPv6 echo request (RFC 4443 §4.1).</summary>
    public const byte EchoRequestV6 = 128;

    /// <summary>ICMPv6 echo reply (RFC 4443 §4.2).</summary>
    public const byte EchoReplyV6 = 129;

    /// <summary>"PTRN": marks the payload of a Patronus probe.</summary>
    public const uint PatronusMagic = 0x5054_524E;

    /// <summary>Echo header (8 bytes) plus the probe payload (8 bytes).</summary>
    public const int Length = HeaderLength + 8;

    /// <summary>Type, code, checksum, identifier, sequence.</summary>
    public const int HeaderLength = 8;

    private const byte IPv4ProtocolIcmp = 1;

    /// <summary>A Patronus echo request for <paramref name="sequence"/> (checksum filled in by <see cref="TryWrite"/>).</summary>
    public static IcmpEchoPacket CreateRequest(AddressFamily family, ushort identifier, uint sequence) =>
        new(family == AddressFamily.InterNetworkV6 ? EchoRequestV6 : EchoRequestV4, 0, 0, identifier, (ushort)sequence, PatronusMagic, sequence);

    /// <summary>True for an ICMPv6 type (128 and above are informational ICMPv6, RFC 4443 §2.1).</summary>
    public bool IsIcmpV6 => Type is EchoRequestV6 or EchoReplyV6;

    /// <summary>
    /// Reads an ICMP echo message (no IP header). The message may be longer than
    /// <see cref="Length"/> (another pinger's payload); false when shorter. Does not verify the
    /// checksum (see <see cref="IsIcmpV4ChecksumValid"/>) nor the type.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out IcmpEchoPacket packet)
    {
        if (message.Length < Length)
        {
            packet = default;
            return false;
        }

        packet = new IcmpEchoPacket(
            message[0],
            message[1],
            BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            BinaryPrimitives.ReadUInt32BigEndian(message[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(message[12..]));
        return true;
    }

    /// <summary>
    /// Reads an ICMP echo message from a whole IPv4 packet, as a raw IPv4 ICMP socket delivers it
    /// (header included). See <see cref="TryGetIcmpFromIPv4"/> for the header checks.
    /// </summary>
    public static bool TryReadIPv4(ReadOnlySpan<byte> ipv4Packet, out IcmpEchoPacket packet)
    {
        if (!TryGetIcmpFromIPv4(ipv4Packet, out var icmp))
        {
            packet = default;
            return false;
        }

        return TryRead(icmp, out packet);
    }

    /// <summary>
    /// The ICMP message inside an IPv4 packet (RFC 791 §3.1): version 4, header length IHL × 4
    /// bytes (IHL ≥ 5, options skipped), protocol 1 (ICMP), not a fragment, and the ICMP message
    /// bounded by Total Length. False when any of that does not hold.
    /// </summary>
    public static bool TryGetIcmpFromIPv4(ReadOnlySpan<byte> ipv4Packet, out ReadOnlySpan<byte> icmp)
    {
        icmp = default;
        if (ipv4Packet.Length < 20)
        {
            return false;
        }

        var version = ipv4Packet[0] >> 4;
        var headerLength = (ipv4Packet[0] & 0x0F) * 4;
        if (version != 4 || headerLength < 20 || headerLength > ipv4Packet.Length)
        {
            return false;
        }

        // Linux hands raw sockets the header as received (network order, Total Length
        // including the header); BSDs differ, but this engine runs on Linux.
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[2..]);
        if (totalLength < headerLength || totalLength > ipv4Packet.Length)
        {
            return false;
        }

        // More Fragments flag or a non-zero offset: only part of a message (the kernel
        // reassembles before raw delivery, so this is a malformed packet).
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[6..]);
        if ((fragment & 0x3FFF) != 0 || ipv4Packet[9] != IPv4ProtocolIcmp)
        {
            return false;
        }

        icmp = ipv4Packet[headerLength..totalLength];
        return true;
    }

    /// <summary>True when an ICMPv4 message's checksum verifies (RFC 1071: the sum over the message, checksum included, is all ones).</summary>
    public static bool IsIcmpV4ChecksumValid(ReadOnlySpan<byte> message) => InternetChecksum.Compute(message) == 0;

    /// <summary>
    /// Writes the <see cref="Length"/>-byte message, computing the checksum for ICMPv4 types and
    /// leaving it zero for ICMPv6 (the kernel fills it in). False when
    /// <paramref name="destination"/> is too small.
    /// </summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (destination.Length < Length)
        {
            written = 0;
            return false;
        }

        destination[0] = Type;
        destination[1] = Code;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], FullSequence);
        if (!IsIcmpV6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], InternetChecksum.Compute(destination[..Length]));
        }

        written = Length;
        return true;
    }
}
