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

    private static int IpHeader(int version) => TcpPackets.IpHeader(version);

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
        var packet = TcpPackets.Build(version, 1000, payload, flags, id: 0x1234);
        TcpPackets.SeedChecksum(packet, version);
        return packet;
    }
}
