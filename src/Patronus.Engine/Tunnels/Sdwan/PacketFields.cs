using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// What traffic classes match in an IP packet, read in place from the packet's span without
/// copying or allocating (per packet on the tunnel's send path): DSCP, the upper-layer protocol,
/// ports, and the addresses as slices of the packet.
/// IPv6 extension headers with a known length (hop-by-hop, routing, destination options,
/// mobility, HIP, shim6, AH, and a first fragment's fragment header) are skipped, at most
/// <see cref="MaxExtensionHeaders"/> of them, each bounds-checked. Fragments: only the first
/// (offset 0) carries the ports; a later fragment reports its protocol with no ports (ports
/// are unknown, not 0), so a rule on ports does not match it. ESP and "no next header" end the
/// chain with no ports.
/// </summary>
public readonly ref struct PacketFields
{
    /// <summary>IPv6 extension headers walked before giving up: 8 (RFC 8200 §4.1 expects a handful; a longer chain is treated as malformed).</summary>
    public const int MaxExtensionHeaders = 8;

    private PacketFields(byte dscp, byte protocol, bool hasPorts, ushort sourcePort, ushort destinationPort, bool isLaterFragment, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        Dscp = dscp;
        Protocol = protocol;
        HasPorts = hasPorts;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        IsLaterFragment = isLaterFragment;
        Source = source;
        Destination = destination;
    }

    /// <summary>Differentiated Services code point, 0–63 (RFC 2474).</summary>
    public byte Dscp { get; }

    /// <summary>The upper-layer protocol (IANA number: 6 TCP, 17 UDP …) after any extension headers.</summary>
    public byte Protocol { get; }

    /// <summary>Whether <see cref="SourcePort"/> and <see cref="DestinationPort"/> were read (TCP, UDP, SCTP, UDP-Lite, DCCP, not a later fragment).</summary>
    public bool HasPorts { get; }

    /// <summary>The source port, when <see cref="HasPorts"/>.</summary>
    public ushort SourcePort { get; }

    /// <summary>The destination port, when <see cref="HasPorts"/>.</summary>
    public ushort DestinationPort { get; }

    /// <summary>A fragment other than the first: no upper-layer header in it.</summary>
    public bool IsLaterFragment { get; }

    /// <summary>The source address, 4 or 16 octets.</summary>
    public ReadOnlySpan<byte> Source { get; }

    /// <summary>The destination address, 4 or 16 octets.</summary>
    public ReadOnlySpan<byte> Destination { get; }

    /// <summary>Reads the fields of an IPv4 or IPv6 packet; false when it is neither or its headers are truncated.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out PacketFields fields)
    {
        fields = default;
        if (packet.IsEmpty)
        {
            return false;
        }

        return (packet[0] >> 4) switch
        {
            4 => TryReadV4(packet, out fields),
            6 => TryReadV6(packet, out fields),
            _ => false,
        };
    }

    private static bool TryReadV4(ReadOnlySpan<byte> packet, out PacketFields fields)
    {
        fields = default;
        var headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < 20 || packet.Length < headerLength)
        {
            return false;
        }

        var protocol = packet[9];
        var laterFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1FFF) != 0;
        var (hasPorts, sourcePort, destinationPort) = laterFragment ? default : Ports(protocol, packet[headerLength..]);
        fields = new PacketFields((byte)(packet[1] >> 2), protocol, hasPorts, sourcePort, destinationPort, laterFragment, packet.Slice(12, 4), packet.Slice(16, 4));
        return true;
    }

    private static bool TryReadV6(ReadOnlySpan<byte> packet, out PacketFields fields)
    {
        fields = default;
        if (packet.Length < 40)
        {
            return false;
        }

        var dscp = (byte)((((packet[0] & 0x0F) << 4) | (packet[1] >> 4)) >> 2);
        var next = packet[6];
        var offset = 40;
        var laterFragment = false;
        for (var walked = 0; ; walked++)
        {
            var length = next switch
            {
                0 or 43 or 60 or 135 or 139 or 140 => 8 + (packet.Length >= offset + 2 ? packet[offset + 1] * 8 : 0),
                44 => 8,
                51 => 8 + (packet.Length >= offset + 2 ? packet[offset + 1] * 4 : 0),
                _ => 0,
            };
            if (length == 0)
            {
                break; // an upper-layer protocol, ESP (50) or no next header (59): the chain ends
            }

            if (walked == MaxExtensionHeaders || packet.Length < offset + length)
            {
                return false;
            }

            if (next == 44 && (BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) & 0xFFF8) != 0)
            {
                laterFragment = true;
                next = packet[offset];
                break;
            }

            next = packet[offset];
            offset += length;
        }

        var (hasPorts, sourcePort, destinationPort) = laterFragment ? default : Ports(next, packet[offset..]);
        fields = new PacketFields(dscp, next, hasPorts, sourcePort, destinationPort, laterFragment, packet.Slice(8, 16), packet.Slice(24, 16));
        return true;
    }

    private static (bool HasPorts, ushort Source, ushort Destination) Ports(byte protocol, ReadOnlySpan<byte> upper) =>
        protocol is 6 or 17 or 33 or 132 or 136 && upper.Length >= 4
            ? (true, BinaryPrimitives.ReadUInt16BigEndian(upper), BinaryPrimitives.ReadUInt16BigEndian(upper[2..]))
            : default;
}
