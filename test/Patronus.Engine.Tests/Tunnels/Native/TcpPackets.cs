using System.Buffers.Binary;
using Patronus.Engine.Probes.Icmp;
using Patronus.Engine.Tunnels.Native;

namespace Patronus.Engine.Tests.Tunnels.Native;

/// <summary>
/// IPv4 (10.250.0.1 → 10.250.0.2, DF) or IPv6 (fd00::1 → fd00::2) + TCP (40000 → 5201,
/// acknowledgement 777, window 500) packets for the offload tests, laid out as Linux sends them.
/// </summary>
internal static class TcpPackets
{
    /// <summary>The timestamp option Linux puts in every segment (12 octets with padding).</summary>
    public static readonly byte[] Timestamp = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7];

    public static int IpHeader(int version) => version == 4 ? 20 : 40;

    /// <summary>
    /// A packet with <paramref name="payload"/> octets (each the low octet of its sequence
    /// number), IP identification <paramref name="id"/>, the TCP <paramref name="flags"/> and
    /// <paramref name="options"/>; the IPv4 header checksum is right, the TCP checksum field zero
    /// (see <see cref="CompleteChecksum"/> and <see cref="SeedChecksum"/>).
    /// </summary>
    public static byte[] Build(int version, uint sequence, int payload, byte flags, ushort id = 0, byte[]? options = null)
    {
        options ??= [];
        var ip = IpHeader(version);
        var packet = new byte[ip + 20 + options.Length + payload];
        var span = packet.AsSpan();
        if (version == 4)
        {
            span[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], id);
            span[6] = 0x40; // DF
            span[8] = 64;
            span[9] = 6;
            new byte[] { 10, 250, 0, 1, 10, 250, 0, 2 }.CopyTo(span[12..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[10..], InternetChecksum.Compute(span[..20]));
        }
        else
        {
            span[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(packet.Length - 40));
            span[6] = 6;
            span[7] = 64;
            span[8] = 0xfd;
            span[23] = 1;
            span[24] = 0xfd;
            span[39] = 2;
        }

        var tcp = span[ip..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 777);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 500);
        options.CopyTo(tcp[20..]);
        for (var i = 0; i < payload; i++)
        {
            tcp[20 + options.Length + i] = (byte)(sequence + i);
        }

        return packet;
    }

    /// <summary>Recomputes the IPv4 header checksum and fills in the TCP checksum: a packet as it goes on the wire.</summary>
    public static void CompleteChecksum(byte[] packet, int version)
    {
        if (version == 4)
        {
            packet.AsSpan(10, 2).Clear();
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));
        }

        var tcp = packet.AsSpan(IpHeader(version));
        tcp.Slice(16, 2).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], VirtioNetHeader.TcpChecksum(packet, version == 4, tcp));
    }

    /// <summary>Seeds the TCP checksum field with the pseudo-header's folded sum, as the kernel leaves it for checksum offload.</summary>
    public static void SeedChecksum(byte[] packet, int version)
    {
        var tcp = packet.AsSpan(IpHeader(version));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~VirtioNetHeader.TcpChecksum(packet, version == 4, new byte[tcp.Length]));
    }
}
