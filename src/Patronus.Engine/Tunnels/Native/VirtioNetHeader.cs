using System.Buffers.Binary;
using Patronus.Engine.Probes.Icmp;

namespace Patronus.Engine.Tunnels.Native;

/// <summary>
/// The header a TUN device opened with <c>IFF_VNET_HDR</c> puts before every packet (struct
/// virtio_net_hdr, include/uapi/linux/virtio_net.h; little-endian on the legacy TUN interface):
/// <code>
///  0      1         2        4         6           8            10
///  +------+---------+--------+---------+-----------+------------+
///  |flags |gso_type |hdr_len |gso_size |csum_start |csum_offset |
///  +------+---------+--------+---------+-----------+------------+
/// </code>
/// With TSO offered (<c>TUNSETOFFLOAD</c>) the kernel hands over one TCP "super-packet" of up to
/// 64 KiB (<see cref="GsoType"/> TCPv4/TCPv6): <see cref="Segment"/> cuts it into the packets the
/// wire would have carried. With checksum offload, a packet may come with its transport checksum
/// only seeded with the pseudo-header sum (<see cref="NeedsChecksum"/>): <see cref="Segment"/>
/// completes it. Every read is checked: a header that does not fit the packet is a false, not an exception.
/// </summary>
internal readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Size = 10;
    public const byte FlagNeedsChecksum = 1;
    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoTcpV6 = 4;
    public const byte GsoEcn = 0x80;

    private const int TcpProtocol = 6;

    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new VirtioNetHeader(
            source[0], source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]), BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]), BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
        return true;
    }

    /// <summary>
    /// How many packets <paramref name="packet"/> (what follows the header) makes: 1 without GSO,
    /// else one per <see cref="GsoSize"/> octets of TCP payload; 0 when the header and the packet
    /// disagree (the caller drops it).
    /// </summary>
    public int SegmentCount(ReadOnlySpan<byte> packet)
    {
        var type = GsoType & ~GsoEcn;
        if (type == GsoNone)
        {
            return !NeedsChecksum || (ChecksumStart + ChecksumOffset + 2 <= packet.Length) ? 1 : 0;
        }

        if ((type != GsoTcpV4 && type != GsoTcpV6) || GsoSize == 0 || !TryTcpHeaders(packet, out var headers))
        {
            return 0;
        }

        var payload = packet.Length - headers;
        return payload <= 0 ? 1 : (payload + GsoSize - 1) / GsoSize;
    }

    /// <summary>
    /// Writes packet <paramref name="index"/> (of <see cref="SegmentCount"/>) of
    /// <paramref name="packet"/> into <paramref name="destination"/> with its IP and TCP headers
    /// fixed (lengths, IPv4 identification and checksum, TCP sequence number, FIN/PSH only on the
    /// last, CWR only on the first, TCP checksum) and returns its length; 0 when it does not fit.
    /// </summary>
    public int Segment(ReadOnlySpan<byte> packet, int index, Span<byte> destination)
    {
        var type = GsoType & ~GsoEcn;
        if (type == GsoNone)
        {
            if (!packet.TryCopyTo(destination))
            {
                return 0;
            }

            if (NeedsChecksum)
            {
                var field = destination.Slice(ChecksumStart + ChecksumOffset, 2);
                // The field holds the pseudo-header sum already: the checksum from csum_start on completes it.
                BinaryPrimitives.WriteUInt16BigEndian(field, InternetChecksum.Compute(destination[ChecksumStart..packet.Length]));
            }

            return packet.Length;
        }

        if (!TryTcpHeaders(packet, out var headers))
        {
            return 0;
        }

        var start = headers + (index * GsoSize);
        var payload = Math.Min(GsoSize, packet.Length - start);
        var length = headers + Math.Max(payload, 0);
        if (payload < 0 || destination.Length < length)
        {
            return 0;
        }

        packet[..headers].CopyTo(destination);
        packet.Slice(start, payload).CopyTo(destination[headers..]);
        var segment = destination[..length];
        var tcpStart = ChecksumStart;
        var isV4 = (packet[0] >> 4) == 4;
        if (isV4)
        {
            var ihl = (packet[0] & 0xf) * 4;
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + index));
            segment.Slice(10, 2).Clear();
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Compute(segment[..ihl]));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(length - 40));
        }

        var tcp = segment[tcpStart..];
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], BinaryPrimitives.ReadUInt32BigEndian(packet[(tcpStart + 4)..]) + (uint)(index * GsoSize));
        var last = start + payload >= packet.Length;
        if (!last)
        {
            tcp[13] &= unchecked((byte)~0x09); // FIN, PSH: only the last segment carries them
        }

        if (index > 0)
        {
            tcp[13] &= unchecked((byte)~0x80); // CWR: only the first
        }

        tcp.Slice(16, 2).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TcpChecksum(segment, isV4, tcp));
        return length;
    }

    /// <summary>
    /// The TCP checksum over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) and
    /// <paramref name="tcp"/>: one's-complement sums add, so the two checksums combine (both spans are of even length up to the TCP header).
    /// </summary>
    internal static ushort TcpChecksum(ReadOnlySpan<byte> packet, bool isV4, ReadOnlySpan<byte> tcp)
    {
        var sum = (uint)PseudoHeaderSum(packet, isV4, tcp.Length) + (ushort)~InternetChecksum.Compute(tcp);
        sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>
    /// The folded one's-complement sum (not complemented) of the TCP pseudo-header of
    /// <paramref name="packet"/> for a TCP length of <paramref name="tcpLength"/>: what checksum
    /// offload leaves in the TCP checksum field.
    /// </summary>
    internal static ushort PseudoHeaderSum(ReadOnlySpan<byte> packet, bool isV4, int tcpLength)
    {
        Span<byte> pseudo = stackalloc byte[40];
        if (isV4)
        {
            packet.Slice(12, 8).CopyTo(pseudo);
            pseudo[8] = 0;
            pseudo[9] = TcpProtocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcpLength);
            pseudo = pseudo[..12];
        }
        else
        {
            packet.Slice(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)tcpLength);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[36..], TcpProtocol);
        }

        return (ushort)~InternetChecksum.Compute(pseudo);
    }

    /// <summary>The length of the IP + TCP headers of a GSO packet; false when they do not fit or are not TCP.</summary>
    private bool TryTcpHeaders(ReadOnlySpan<byte> packet, out int headers)
    {
        headers = 0;
        if (packet.Length < 20)
        {
            return false;
        }

        var version = packet[0] >> 4;
        var ipHeader = version == 4 ? (packet[0] & 0xf) * 4 : 40;
        if ((version != 4 && version != 6) || ChecksumStart < ipHeader || ChecksumStart + 20 > packet.Length
            || (version == 4 && packet[9] != TcpProtocol))
        {
            return false;
        }

        headers = ChecksumStart + ((packet[ChecksumStart + 12] >> 4) * 4);
        return headers >= ChecksumStart + 20 && headers <= packet.Length;
    }
}
