using System.Buffers.Binary;
using Patronus.Engine.Probes.Icmp;
using Patronus.Engine.Tunnels.Native;

namespace Patronus.Engine.Tests.Tunnels.Native;

// The TSO super-packets a TUN device with IFF_VNET_HDR hands over, built here as the kernel
// builds them (one IP + TCP header, a payload of several MSS, the TCP checksum seeded with the
// pseudo-header sum), and the segments checked the way a receiver checks them: every IPv4 header
// and TCP checksum verifies (the one's-complement sum over it is 0xffff), sequence numbers step by
// the MSS, FIN/PSH only on the last segment.
public class VirtioNetHeaderTests
{
    private const int Mss = 100;

    [Theory]
    [InlineData(4, 350)]
    [InlineData(6, 350)]
    [InlineData(4, 300)]
    [InlineData(6, 1)]
    public void Segment_TsoSuperPacket_MakesValidTcpSegments(int version, int payload)
    {
        var packet = SuperPacket(version, payload, flags: 0x18 | 0x01 | 0x80); // ACK+PSH, FIN, CWR
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6,
            (ushort)(IpHeader(version) + 20), Mss, (ushort)IpHeader(version), 16);

        var count = header.SegmentCount(packet);

        Assert.Equal((payload + Mss - 1) / Mss, count);
        var sent = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            var segment = new byte[2000];
            var length = header.Segment(packet, i, segment);
            var s = segment.AsSpan(0, length);
            var tcp = s[IpHeader(version)..];
            Assert.Equal(IpHeader(version) + 20 + Math.Min(Mss, payload - (i * Mss)), length);
            if (version == 4)
            {
                Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(s[2..]));
                Assert.Equal(0x1234 + i, BinaryPrimitives.ReadUInt16BigEndian(s[4..]));
                Assert.Equal(0, InternetChecksum.Compute(s[..20]));
                Assert.Equal(0, TcpSum(s, version));
            }
            else
            {
                Assert.Equal(length - 40, BinaryPrimitives.ReadUInt16BigEndian(s[4..]));
                Assert.Equal(0, TcpSum(s, version));
            }

            Assert.Equal(1000u + (uint)(i * Mss), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            var last = i == count - 1;
            Assert.Equal(last ? 0x19 : 0x10, tcp[13] & 0x19);
            Assert.Equal(i == 0 ? 0x80 : 0, tcp[13] & 0x80);
            sent.AddRange(tcp[20..].ToArray());
        }

        Assert.Equal(packet.AsSpan(IpHeader(version) + 20).ToArray(), sent.ToArray());
    }

    [Fact]
    public void Segment_NoGsoNeedsChecksum_CompletesTheChecksum()
    {
        var packet = SuperPacket(4, 77, flags: 0x18);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, 0, 0, 20, 16);
        var segment = new byte[200];

        Assert.Equal(1, header.SegmentCount(packet));
        var length = header.Segment(packet, 0, segment);

        Assert.Equal(packet.Length, length);
        Assert.Equal(0, TcpSum(segment.AsSpan(0, length), 4));
    }

    [Theory]
    [InlineData(VirtioNetHeader.GsoTcpV4, 0, 20)]     // no segment size
    [InlineData(VirtioNetHeader.GsoTcpV4, 100, 10)]   // TCP header inside the IP header
    [InlineData(VirtioNetHeader.GsoTcpV4, 100, 500)]  // TCP header beyond the packet
    [InlineData(3, 100, 20)]                          // UDP fragmentation offload: not offered
    [InlineData(VirtioNetHeader.GsoNone, 0, 500)]     // checksum field beyond the packet
    public void SegmentCount_HeaderDisagreesWithPacket_IsZero(byte gsoType, ushort gsoSize, ushort checksumStart)
    {
        var packet = SuperPacket(4, 50, flags: 0x10);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, gsoType, 0, gsoSize, checksumStart, 16);

        Assert.Equal(0, header.SegmentCount(packet));
    }

    [Fact]
    public void Segment_RandomInput_NeverThrows()
    {
        var random = new Random(15);
        var segment = new byte[70_000];
        for (var n = 0; n < 20_000; n++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (!VirtioNetHeader.TryRead(bytes, out var header))
            {
                continue;
            }

            var packet = bytes.AsSpan(VirtioNetHeader.Size);
            var count = header.SegmentCount(packet);
            for (var i = 0; i < Math.Min(count, 4); i++)
            {
                header.Segment(packet, i, segment);
            }
        }
    }

    private static int IpHeader(int version) => version == 4 ? 20 : 40;

    // The checksum over the pseudo-header and the TCP segment, laid out whole as a receiver sums it: 0 when the segment's checksum is right.
    private static ushort TcpSum(ReadOnlySpan<byte> packet, int version)
    {
        var tcp = packet[IpHeader(version)..];
        var pseudo = new List<byte>();
        if (version == 4)
        {
            pseudo.AddRange(packet.Slice(12, 8).ToArray());
            pseudo.AddRange([0, 6, (byte)(tcp.Length >> 8), (byte)tcp.Length]);
        }
        else
        {
            pseudo.AddRange(packet.Slice(8, 32).ToArray());
            pseudo.AddRange([0, 0, (byte)(tcp.Length >> 8), (byte)tcp.Length, 0, 0, 0, 6]);
        }

        pseudo.AddRange(tcp.ToArray());
        return InternetChecksum.Compute(pseudo.ToArray());
    }

    // An IPv4 or IPv6 + TCP packet with `payload` octets, identification 0x1234, sequence 1000,
    // and the TCP checksum field seeded with the pseudo-header sum (as the kernel leaves it for
    // checksum offload).
    private static byte[] SuperPacket(int version, int payload, byte flags)
    {
        var ip = IpHeader(version);
        var packet = new byte[ip + 20 + payload];
        var span = packet.AsSpan();
        if (version == 4)
        {
            span[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], 0x1234);
            span[8] = 64;
            span[9] = 6;
            new byte[] { 10, 250, 0, 1, 10, 250, 0, 2 }.CopyTo(span[12..]);
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
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        for (var i = 0; i < payload; i++)
        {
            tcp[20 + i] = (byte)(i * 7);
        }

        // The pseudo-header's folded sum: the complement of the checksum of the packet with a zero TCP part.
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~VirtioNetHeader.TcpChecksum(packet, version == 4, new byte[tcp.Length]));
        return packet;
    }
}
