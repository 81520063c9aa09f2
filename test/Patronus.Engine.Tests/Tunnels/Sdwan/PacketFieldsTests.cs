using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class PacketFieldsTests
{
    [Fact]
    public void TryRead_Ipv4Udp_ReadsEveryField()
    {
        var packet = PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 4000, 16000, dscp: 46);

        Assert.True(PacketFields.TryRead(packet, out var fields));

        Assert.Equal(46, fields.Dscp);
        Assert.Equal(17, fields.Protocol);
        Assert.True(fields.HasPorts);
        Assert.Equal(4000, fields.SourcePort);
        Assert.Equal(16000, fields.DestinationPort);
        Assert.False(fields.IsLaterFragment);
        Assert.Equal(new byte[] { 10, 1, 0, 5 }, fields.Source.ToArray());
        Assert.Equal(new byte[] { 10, 2, 0, 9 }, fields.Destination.ToArray());
    }

    [Fact]
    public void TryRead_Ipv4WithOptions_ReadsPortsAfterTheOptions()
    {
        var plain = PacketBuilder.V4("10.1.0.5", "10.2.0.9", 6, 1234, 443);
        var packet = new byte[plain.Length + 8];
        plain.AsSpan(0, 20).CopyTo(packet);
        plain.AsSpan(20).CopyTo(packet.AsSpan(28));
        packet[0] = 0x47; // IHL 7: 8 octets of options

        Assert.True(PacketFields.TryRead(packet, out var fields));

        Assert.Equal(1234, fields.SourcePort);
        Assert.Equal(443, fields.DestinationPort);
    }

    [Theory]
    [InlineData(0, true, true)] // first fragment: ports present
    [InlineData(1480, true, false)] // a middle fragment
    [InlineData(2960, false, false)] // the last fragment
    public void TryRead_Ipv4Fragments_OnlyTheFirstHasPorts(int offset, bool more, bool hasPorts)
    {
        var packet = PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 4000, 16000, fragmentOffset: offset, moreFragments: more);

        Assert.True(PacketFields.TryRead(packet, out var fields));

        Assert.Equal(17, fields.Protocol);
        Assert.Equal(hasPorts, fields.HasPorts);
        Assert.Equal(!hasPorts, fields.IsLaterFragment);
    }

    [Fact]
    public void TryRead_Ipv6Udp_ReadsDscpAcrossTheSplitOctets()
    {
        var packet = PacketBuilder.V6("fd00:1::5", "fd00:2::9", 17, 5004, 5006, dscp: 46);

        Assert.True(PacketFields.TryRead(packet, out var fields));

        Assert.Equal(46, fields.Dscp);
        Assert.Equal(17, fields.Protocol);
        Assert.Equal(5004, fields.SourcePort);
        Assert.Equal(5006, fields.DestinationPort);
        Assert.Equal(16, fields.Source.Length);
    }

    public static TheoryData<string, (byte, int, int)[], byte, bool> Ipv6Chains => new()
    {
        { "hop-by-hop", [(0, 8, 0)], 17, true },
        { "hop-by-hop 16 + routing 24 + destination options 8", [(0, 16, 0), (43, 24, 0), (60, 8, 0)], 17, true },
        { "AH (4-octet units)", [(51, 24, 0)], 6, true },
        { "first fragment", [(44, 8, 0)], 17, true },
        { "later fragment", [(44, 8, 185)], 17, false },
        { "destination options then a later fragment", [(60, 8, 0), (44, 8, 1)], 6, false },
        { "ESP: the rest is encrypted", [], 50, false },
        { "no next header", [], 59, false },
        { "ICMPv6", [], 58, false },
    };

    [Theory]
    [MemberData(nameof(Ipv6Chains))]
    public void TryRead_Ipv6ExtensionHeaders_SkipsToTheUpperLayer(string why, (byte, int, int)[] chain, byte protocol, bool hasPorts)
    {
        var packet = PacketBuilder.V6("fd00:1::5", "fd00:2::9", protocol, 5004, 5006, extensions: chain);

        Assert.True(PacketFields.TryRead(packet, out var fields), why);

        Assert.Equal(protocol, fields.Protocol);
        Assert.Equal(hasPorts, fields.HasPorts);
        if (hasPorts)
        {
            Assert.Equal(5004, fields.SourcePort);
            Assert.Equal(5006, fields.DestinationPort);
        }
    }

    [Fact]
    public void TryRead_Ipv6ChainLongerThanTheLimit_ReturnsFalse()
    {
        var chain = Enumerable.Repeat(((byte)60, 8, 0), PacketFields.MaxExtensionHeaders + 1).ToArray();
        var atLimit = PacketBuilder.V6("fd00:1::5", "fd00:2::9", 17, 1, 2, extensions: chain[..^1]);
        var beyond = PacketBuilder.V6("fd00:1::5", "fd00:2::9", 17, 1, 2, extensions: chain);

        Assert.True(PacketFields.TryRead(atLimit, out _));
        Assert.False(PacketFields.TryRead(beyond, out _));
    }

    [Fact]
    public void TryRead_EveryTruncationOfHeaders_NeverThrowsAndNeverReadsPastTheEnd()
    {
        var packets = new[]
        {
            PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 4000, 16000, payload: 0),
            PacketBuilder.V6("fd00:1::5", "fd00:2::9", 17, 5004, 5006, extensions: [(0, 16, 0), (51, 24, 0), (44, 8, 0)], payload: 0),
        };
        foreach (var packet in packets)
        {
            for (var length = 0; length < packet.Length; length++)
            {
                if (PacketFields.TryRead(packet.AsSpan(0, length), out var fields))
                {
                    Assert.True(!fields.HasPorts || length >= packet.Length - 4, $"ports read from {length} octets");
                }
            }
        }

        Assert.False(PacketFields.TryRead(packets[1].AsSpan(0, 40 + 16 + 8), out _)); // AH cut short
        Assert.False(PacketFields.TryRead([0x45, 0, 0], out _));
        Assert.False(PacketFields.TryRead([0x50, 0, 0, 0], out _));
        Assert.False(PacketFields.TryRead([], out _));
    }

    [Fact]
    public void TryRead_RandomInput_NeverThrows()
    {
        var random = new Random(16);
        var buffer = new byte[200];
        for (var i = 0; i < 50_000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = (byte)((i % 2 == 0 ? 0x40 : 0x60) | (buffer[0] & 0x0F));
            if (i % 4 == 1)
            {
                buffer[6] = (byte)(i % 8 switch { 0 => 0, 1 => 43, 2 => 44, 3 => 51, 5 => 60, _ => 17 });
            }

            PacketFields.TryRead(buffer.AsSpan(0, random.Next(buffer.Length + 1)), out _);
        }
    }
}
