using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

// Golden bytes laid out field by field from the layout in docs/tunnels.md ("Patronus-to-Patronus
// data message"): big-endian, each field a distinct value so a shifted or swapped field shows.
public class PatronusDataHeaderTests
{
    // marker, flags Compressed|Echo|Duplicated, path 3, echo path 7, path seq, packet seq,
    // send timestamp, original 1400, payload 900, echoed timestamp, hold; then 900 payload octets.
    private const string EchoHeader = "f1" + "07" + "03" + "07" + "01020304" + "0a0b0c0d" + "11121314" + "0578" + "0384" + "21222324" + "31323334";

    // marker, no flags, path 1, no echo path, path seq 5, no packet seq, timestamp, 60 and 60.
    private const string PlainHeader = "f1" + "00" + "01" + "00" + "00000005" + "00000000" + "aabbccdd" + "003c" + "003c";

    private static readonly PatronusDataHeader s_echo = new(
        PatronusDataFeatures.Compressed | PatronusDataFeatures.Echo | PatronusDataFeatures.Duplicated,
        PathId: 3, EchoPathId: 7, PathSequence: 0x01020304, PacketSequence: 0x0a0b0c0d, SendTimestamp: 0x11121314,
        OriginalSize: 1400, PayloadSize: 900, EchoTimestamp: 0x21222324, EchoHold: 0x31323334);

    private static readonly PatronusDataHeader s_plain = new(PatronusDataFeatures.None, 1, 0, 5, 0, 0xaabbccdd, 60, 60);

    [Fact]
    public void TryRead_GoldenBytesWithEcho_ReadsEveryFieldAndThePayload()
    {
        var bytes = Message(EchoHeader, 900, padding: 12);

        Assert.True(PatronusDataHeader.TryRead(bytes, out var header, out var payload));

        Assert.Equal(s_echo, header);
        Assert.Equal(PatronusDataHeader.MaxSize, header.Size);
        Assert.Equal(900, payload.Length);
        Assert.Equal(bytes.AsSpan(28, 900).ToArray(), payload.ToArray());
    }

    [Fact]
    public void TryRead_GoldenBytesWithoutEcho_ReadsEveryField()
    {
        var bytes = Message(PlainHeader, 60, padding: 0);

        Assert.True(PatronusDataHeader.TryRead(bytes, out var header, out var payload));

        Assert.Equal(s_plain, header);
        Assert.Equal(PatronusDataHeader.BaseSize, header.Size);
        Assert.Equal(60, payload.Length);
    }

    [Theory]
    [InlineData(EchoHeader)]
    [InlineData(PlainHeader)]
    public void TryWrite_GoldenHeader_WritesSameBytes(string hex)
    {
        var expected = Convert.FromHexString(hex);
        var header = hex == EchoHeader ? s_echo : s_plain;
        var buffer = new byte[64];

        Assert.True(header.TryWrite(buffer, out var written));

        Assert.Equal(expected.Length, written);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFalse()
    {
        foreach (var (hex, payload) in new[] { (EchoHeader, 900), (PlainHeader, 60) })
        {
            var bytes = Message(hex, payload, padding: 0);
            for (var length = 0; length < bytes.Length; length++)
            {
                Assert.False(PatronusDataHeader.TryRead(bytes.AsSpan(0, length), out _, out _), $"{length} of {bytes.Length} octets");
            }

            Assert.True(PatronusDataHeader.TryRead(bytes, out _, out _));
        }
    }

    [Theory]
    [InlineData(0, 0x45, "an IPv4 packet")]
    [InlineData(0, 0x60, "an IPv6 packet")]
    [InlineData(0, 0xf2, "version 2")]
    [InlineData(0, 0xf0, "version 0")]
    [InlineData(1, 0x08, "a reserved flag")]
    [InlineData(1, 0x80, "the top reserved flag")]
    [InlineData(3, 0x01, "an echo path without the echo flag")]
    [InlineData(11, 0x01, "a packet sequence without the duplicated flag")]
    [InlineData(17, 0x3d, "payload size above original size, uncompressed")]
    [InlineData(19, 0x3b, "payload size below original size, uncompressed")]
    public void TryRead_BadField_ReturnsFalse(int offset, byte value, string why)
    {
        var bytes = Message(PlainHeader, 60, padding: 4);
        bytes[offset] = value;

        Assert.False(PatronusDataHeader.TryRead(bytes, out _, out _), why);
    }

    [Theory]
    [InlineData(1400, 1400, "compressed to the same size")]
    [InlineData(1400, 1401, "compressed to a larger size")]
    [InlineData(1400, 0, "compressed to nothing")]
    [InlineData(0, 0, "an empty original")]
    public void TryRead_CompressedSizesThatDoNotShrink_ReturnsFalse(int original, int payload, string why)
    {
        var header = Convert.FromHexString(PlainHeader);
        header[1] = (byte)PatronusDataFeatures.Compressed;
        header[16] = (byte)(original >> 8);
        header[17] = (byte)original;
        header[18] = (byte)(payload >> 8);
        header[19] = (byte)payload;
        var bytes = new byte[header.Length + payload + 16];
        header.CopyTo(bytes, 0);

        Assert.False(PatronusDataHeader.TryRead(bytes, out _, out _), why);
    }

    [Fact]
    public void TryRead_PayloadSizeBeyondMessage_ReturnsFalse()
    {
        var bytes = Message(PlainHeader, 59, padding: 0);

        Assert.False(PatronusDataHeader.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void TryRead_PaddingAfterPayload_IsNotPartOfPayload()
    {
        var bytes = Message(PlainHeader, 60, padding: 12);

        Assert.True(PatronusDataHeader.TryRead(bytes, out _, out var payload));

        Assert.Equal(60, payload.Length);
    }

    [Theory]
    [InlineData(PatronusDataFeatures.None, 0, 0, 0, 0, 10, 10, true)]
    [InlineData(PatronusDataFeatures.None, 0, 1, 0, 0, 10, 10, false)]
    [InlineData(PatronusDataFeatures.Compressed, 0, 0, 0, 0, 10, 9, true)]
    [InlineData(PatronusDataFeatures.Compressed, 0, 0, 0, 0, 10, 10, false)]
    [InlineData(PatronusDataFeatures.None, 0, 0, 0, 0, 10, 9, false)]
    [InlineData(PatronusDataFeatures.None, 0, 0, 0, 0, 0, 0, false)]
    [InlineData(PatronusDataFeatures.None, 2, 0, 0, 0, 10, 10, false)]
    [InlineData(PatronusDataFeatures.None, 0, 0, 5, 0, 10, 10, false)]
    [InlineData(PatronusDataFeatures.None, 0, 0, 0, 5, 10, 10, false)]
    [InlineData(PatronusDataFeatures.Echo, 2, 0, 0, 5, 10, 10, true)]
    [InlineData(PatronusDataFeatures.Duplicated, 0, 0, 5, 0, 10, 10, true)]
    [InlineData((PatronusDataFeatures)0x10, 0, 0, 0, 0, 10, 10, false)]
    public void TryWrite_HeaderRules_WritesOnlyValidHeaders(
        PatronusDataFeatures flags, int echoPath, int echoHold, int packetSequence, int echoTimestamp, int original, int payload, bool valid)
    {
        var header = new PatronusDataHeader(flags, 1, (byte)echoPath, 1, (uint)packetSequence, 1, (ushort)original, (ushort)payload, (uint)echoTimestamp, (uint)echoHold);
        var buffer = new byte[PatronusDataHeader.MaxSize + payload];

        Assert.Equal(valid, header.TryWrite(buffer, out var written));
        Assert.Equal(valid ? header.Size : 0, written);
        if (valid)
        {
            Assert.True(PatronusDataHeader.TryRead(buffer, out var read, out _));
            Assert.Equal(header, read);
        }
    }

    [Fact]
    public void TryWrite_DestinationTooShort_ReturnsFalse()
    {
        Assert.False(s_echo.TryWrite(new byte[PatronusDataHeader.MaxSize - 1], out var written));
        Assert.Equal(0, written);
        Assert.True(s_plain.TryWrite(new byte[PatronusDataHeader.BaseSize], out _));
    }

    [Theory]
    [InlineData("f1", true)]
    [InlineData("f7", true)]
    [InlineData("45", false)]
    [InlineData("60", false)]
    [InlineData("", false)]
    public void IsPatronusMessage_FirstNibble_TellsPatronusFromIp(string hex, bool expected) =>
        Assert.Equal(expected, PatronusDataHeader.IsPatronusMessage(Convert.FromHexString(hex)));

    [Fact]
    public void TryRead_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(16);
        var valid = Message(EchoHeader, 900, padding: 4);
        var buffer = new byte[valid.Length];
        for (var i = 0; i < 20_000; i++)
        {
            valid.CopyTo(buffer, 0);
            if (i % 2 == 0)
            {
                random.NextBytes(buffer);
                buffer[0] = PatronusDataHeader.Marker;
            }
            else
            {
                buffer[random.Next(PatronusDataHeader.MaxSize)] ^= (byte)(1 << random.Next(8));
            }

            var length = random.Next(buffer.Length + 1);
            if (PatronusDataHeader.TryRead(buffer.AsSpan(0, length), out var header, out var payload))
            {
                Assert.True(header.Size + payload.Length <= length);
                Assert.True(header.TryWrite(new byte[header.Size], out _));
            }
        }
    }

    private static byte[] Message(string headerHex, int payload, int padding)
    {
        var header = Convert.FromHexString(headerHex);
        var bytes = new byte[header.Length + payload + padding];
        header.CopyTo(bytes, 0);
        for (var i = 0; i < payload; i++)
        {
            bytes[header.Length + i] = (byte)(i * 7);
        }

        return bytes;
    }
}
