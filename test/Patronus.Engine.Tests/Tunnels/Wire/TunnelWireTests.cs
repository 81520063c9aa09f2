using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels.Wire;

// Golden bytes laid out field by field from the WireGuard whitepaper §5.4 (type, three zero
// octets, little-endian indexes and counter); each field is filled with a distinct octet so a
// shifted or swapped field shows.
public class TunnelWireTests
{
    private static readonly string s_initiation =
        "01000000" + "01020304" + Fill("11", 32) + Fill("22", 48) + Fill("33", 28) + Fill("44", 16) + Fill("55", 16);

    private static readonly string s_response =
        "02000000" + "01020304" + "0a0b0c0d" + Fill("11", 32) + Fill("22", 16) + Fill("44", 16) + Fill("55", 16);

    private static readonly string s_cookieReply = "03000000" + "01020304" + Fill("66", 24) + Fill("77", 32);

    [Fact]
    public void HandshakeInitiation_GoldenBytes_ReadsFieldsAndWritesSameBytes()
    {
        var bytes = Convert.FromHexString(s_initiation);

        Assert.True(HandshakeInitiation.TryRead(bytes, out var message));

        Assert.Equal(0x04030201u, message.SenderIndex);
        AssertFilled(message.Ephemeral, 0x11);
        AssertFilled(message.EncryptedStatic, 0x22);
        AssertFilled(message.EncryptedTimestamp, 0x33);
        AssertFilled(message.Mac1, 0x44);
        AssertFilled(message.Mac2, 0x55);
        var written = new byte[HandshakeInitiation.Size];
        Assert.True(message.TryWrite(written, out var count));
        Assert.Equal(HandshakeInitiation.Size, count);
        Assert.Equal(s_initiation, Convert.ToHexStringLower(written));
    }

    [Fact]
    public void HandshakeResponse_GoldenBytes_ReadsFieldsAndWritesSameBytes()
    {
        var bytes = Convert.FromHexString(s_response);

        Assert.True(HandshakeResponse.TryRead(bytes, out var message));

        Assert.Equal(0x04030201u, message.SenderIndex);
        Assert.Equal(0x0d0c0b0au, message.ReceiverIndex);
        AssertFilled(message.Ephemeral, 0x11);
        AssertFilled(message.EncryptedNothing, 0x22);
        AssertFilled(message.Mac1, 0x44);
        AssertFilled(message.Mac2, 0x55);
        var written = new byte[HandshakeResponse.Size];
        Assert.True(message.TryWrite(written, out var count));
        Assert.Equal(HandshakeResponse.Size, count);
        Assert.Equal(s_response, Convert.ToHexStringLower(written));
    }

    [Fact]
    public void CookieReply_GoldenBytes_ReadsFieldsAndWritesSameBytes()
    {
        var bytes = Convert.FromHexString(s_cookieReply);

        Assert.True(CookieReply.TryRead(bytes, out var message));

        Assert.Equal(0x04030201u, message.ReceiverIndex);
        AssertFilled(message.Nonce, 0x66);
        AssertFilled(message.EncryptedCookie, 0x77);
        var written = new byte[CookieReply.Size];
        Assert.True(message.TryWrite(written, out var count));
        Assert.Equal(CookieReply.Size, count);
        Assert.Equal(s_cookieReply, Convert.ToHexStringLower(written));
    }

    [Fact]
    public void TransportHeader_GoldenBytes_ReadsIndexCounterAndPayload()
    {
        var hex = "04000000" + "01020304" + "0807060504030201" + Fill("99", 16);
        var bytes = Convert.FromHexString(hex);

        Assert.True(TransportHeader.TryRead(bytes, out var header, out var payload));

        Assert.Equal(new TransportHeader(0x04030201, 0x0102030405060708), header);
        Assert.Equal(16, payload.Length);
        var written = new byte[TransportHeader.Size];
        Assert.True(header.TryWrite(written, out var count));
        Assert.Equal(TransportHeader.Size, count);
        Assert.Equal(hex[..32], Convert.ToHexStringLower(written));
    }

    [Theory]
    [InlineData(0, "05")] // type 5 does not exist
    [InlineData(0, "00")] // type 0 does not exist
    [InlineData(1, "01")] // a reserved octet is not zero
    [InlineData(3, "80")]
    public void TryRead_BadTypeOrReservedOctet_ReturnsFalse(int offset, string octet)
    {
        foreach (var hex in new[] { s_initiation, s_response, s_cookieReply })
        {
            var bytes = Convert.FromHexString(hex);
            bytes[offset] = Convert.FromHexString(octet)[0];
            Assert.False(HandshakeInitiation.TryRead(bytes, out _));
            Assert.False(HandshakeResponse.TryRead(bytes, out _));
            Assert.False(CookieReply.TryRead(bytes, out _));
            Assert.False(TransportHeader.TryRead(bytes, out _, out _));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void TryRead_HandshakeOneOctetShortOrLong_ReturnsFalse(int delta)
    {
        Assert.False(HandshakeInitiation.TryRead(Resize(s_initiation, delta), out _));
        Assert.False(HandshakeResponse.TryRead(Resize(s_response, delta), out _));
        Assert.False(CookieReply.TryRead(Resize(s_cookieReply, delta), out _));
    }

    [Fact]
    public void TransportHeader_ShorterThanHeaderPlusTag_ReturnsFalse()
    {
        var bytes = new byte[TransportHeader.MinimumMessageSize - 1];
        bytes[0] = 4;
        Assert.False(TransportHeader.TryRead(bytes, out _, out _));
        Assert.True(TransportHeader.TryRead(new byte[] { 4 }.Concat(new byte[TransportHeader.MinimumMessageSize - 1]).ToArray(), out _, out var payload));
        Assert.Equal(16, payload.Length);
    }

    [Fact]
    public void TryWrite_DestinationTooShort_ReturnsFalse()
    {
        Assert.False(default(HandshakeInitiation).TryWrite(new byte[HandshakeInitiation.Size - 1], out var a));
        Assert.False(default(HandshakeResponse).TryWrite(new byte[HandshakeResponse.Size - 1], out var b));
        Assert.False(default(CookieReply).TryWrite(new byte[CookieReply.Size - 1], out var c));
        Assert.False(default(TransportHeader).TryWrite(new byte[TransportHeader.Size - 1], out var d));
        Assert.Equal(0, a + b + c + d);
    }

    [Fact]
    public void TryRead_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(15);
        var seeds = new[] { s_initiation, s_response, s_cookieReply }.Select(Convert.FromHexString).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
                if (input.Length > 0)
                {
                    input[0] = (byte)random.Next(0, 6);
                }
            }
            else
            {
                input = (byte[])seeds[random.Next(seeds.Length)].Clone();
                input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                input = input[..random.Next(input.Length + 1)];
            }

            _ = MessageHeader.TryReadType(input, out _);
            _ = HandshakeInitiation.TryRead(input, out _);
            _ = HandshakeResponse.TryRead(input, out _);
            _ = CookieReply.TryRead(input, out _);
            _ = TransportHeader.TryRead(input, out _, out _);
        }
    }

    private static string Fill(string octet, int count) => string.Concat(Enumerable.Repeat(octet, count));

    private static byte[] Resize(string hex, int delta)
    {
        var bytes = Convert.FromHexString(hex);
        return delta < 0 ? bytes[..^1] : [.. bytes, 0];
    }

    private static void AssertFilled(ReadOnlySpan<byte> field, byte value)
    {
        foreach (var b in field)
        {
            Assert.Equal(value, b);
        }
    }

    private static void AssertFilled(Bytes16 field, byte value) => AssertFilled((ReadOnlySpan<byte>)field, value);

    private static void AssertFilled(Bytes24 field, byte value) => AssertFilled((ReadOnlySpan<byte>)field, value);

    private static void AssertFilled(Bytes28 field, byte value) => AssertFilled((ReadOnlySpan<byte>)field, value);

    private static void AssertFilled(Bytes32 field, byte value) => AssertFilled((ReadOnlySpan<byte>)field, value);

    private static void AssertFilled(Bytes48 field, byte value) => AssertFilled((ReadOnlySpan<byte>)field, value);
}
