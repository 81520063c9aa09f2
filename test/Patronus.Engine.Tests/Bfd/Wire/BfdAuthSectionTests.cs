using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd.Wire;

public class BfdAuthSectionTests
{
    // RFC 5880 §4.2: Auth Type 1, Auth Len 3 + 6, Auth Key ID 7, Password "secret".
    private static readonly byte[] s_password = [0x01, 0x09, 0x07, (byte)'s', (byte)'e', (byte)'c', (byte)'r', (byte)'e', (byte)'t'];

    // RFC 5880 §4.3: Auth Type 3 (Meticulous Keyed MD5), Auth Len 24, Key ID 2, Reserved 0,
    // Sequence Number 0x01020304, Auth Key/Digest 0x10..0x1F.
    private static readonly byte[] s_md5 =
    [
        0x03, 0x18, 0x02, 0x00,
        0x01, 0x02, 0x03, 0x04,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
        0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
    ];

    // RFC 5880 §4.4: Auth Type 4 (Keyed SHA1), Auth Len 28, Key ID 255, Reserved 0, Sequence
    // Number 0xFFFFFFFF, Auth Key/Hash "key" followed by 17 zero octets (the key padded, §4.4).
    private static readonly byte[] s_sha1 =
    [
        0x04, 0x1C, 0xFF, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF,
        (byte)'k', (byte)'e', (byte)'y', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    [Fact]
    public void SimplePassword_TryWrite_MatchesGoldenBytes()
    {
        var buffer = new byte[32];

        Assert.True(new BfdAuthSimplePassword(7).TryWrite(buffer, "secret"u8, out var written));
        Assert.Equal(9, written);
        Assert.Equal(s_password, buffer[..9]);
    }

    [Fact]
    public void SimplePassword_TryRead_ReturnsKeyIdAndPassword()
    {
        Assert.True(BfdAuthSimplePassword.TryRead(s_password, out var section, out var password));
        Assert.Equal(new BfdAuthSimplePassword(7), section);
        Assert.Equal("secret"u8.ToArray(), password.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void SimplePassword_TryWrite_PasswordLengthOutside1To16_ReturnsFalse(int length)
    {
        Assert.False(new BfdAuthSimplePassword(1).TryWrite(new byte[64], new byte[length], out var written));
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(1, 3)]  // Auth Len without a password
    [InlineData(1, 20)] // Auth Len for 17 octets
    [InlineData(2, 9)]  // not type 1
    [InlineData(1, 10)] // Auth Len beyond the source
    public void SimplePassword_TryRead_BadTypeOrLength_ReturnsFalse(byte type, byte length)
    {
        var bytes = (byte[])s_password.Clone();
        bytes[0] = type;
        bytes[1] = length;

        Assert.False(BfdAuthSimplePassword.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void SimplePassword_RoundTrip_SixteenOctets()
    {
        var password = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var buffer = new byte[19];

        Assert.True(new BfdAuthSimplePassword(42).TryWrite(buffer, password, out var written));
        Assert.Equal(19, written);
        Assert.True(BfdAuthSimplePassword.TryRead(buffer, out var section, out var read));
        Assert.Equal(42, section.KeyId);
        Assert.Equal(password, read.ToArray());
    }

    [Fact]
    public void Keyed_Md5_TryWriteTryRead_MatchesGoldenBytes()
    {
        var digest = s_md5[8..];
        var buffer = new byte[24];

        Assert.True(new BfdAuthKeyed(BfdAuthType.MeticulousKeyedMd5, 2, 0x0102_0304).TryWrite(buffer, digest, out var written));
        Assert.Equal(24, written);
        Assert.Equal(s_md5, buffer);

        Assert.True(BfdAuthKeyed.TryRead(s_md5, out var section, out var read));
        Assert.Equal(new BfdAuthKeyed(BfdAuthType.MeticulousKeyedMd5, 2, 0x0102_0304), section);
        Assert.Equal(digest, read.ToArray());
    }

    [Fact]
    public void Keyed_Sha1_ShortKey_IsZeroPadded()
    {
        var buffer = new byte[28];
        Array.Fill(buffer, (byte)0xEE);

        Assert.True(new BfdAuthKeyed(BfdAuthType.KeyedSha1, 255, uint.MaxValue).TryWrite(buffer, "key"u8, out var written));
        Assert.Equal(28, written);
        Assert.Equal(s_sha1, buffer);
    }

    [Fact]
    public void Keyed_TryRead_NonZeroReserved_IsIgnored()
    {
        var bytes = (byte[])s_md5.Clone();
        bytes[3] = 0xA5;

        Assert.True(BfdAuthKeyed.TryRead(bytes, out var section, out _));
        Assert.Equal(0x0102_0304u, section.SequenceNumber);
    }

    [Theory]
    [InlineData(2, 28)] // MD5 with SHA1's length
    [InlineData(4, 24)] // SHA1 with MD5's length
    [InlineData(1, 24)] // not a keyed type
    [InlineData(6, 24)] // reserved type
    public void Keyed_TryRead_TypeAndLengthDisagree_ReturnsFalse(byte type, byte length)
    {
        var bytes = new byte[28];
        bytes[0] = type;
        bytes[1] = length;

        Assert.False(BfdAuthKeyed.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void Keyed_TryRead_SourceShorterThanAuthLen_ReturnsFalse()
    {
        Assert.False(BfdAuthKeyed.TryRead(s_sha1.AsSpan(0, 27), out _, out _));
    }

    [Fact]
    public void Keyed_TryWrite_DigestLongerThanField_ReturnsFalse()
    {
        Assert.False(new BfdAuthKeyed(BfdAuthType.KeyedMd5, 1, 1).TryWrite(new byte[28], new byte[17], out var written));
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(BfdAuthType.KeyedMd5, 24, 16, false)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5, 24, 16, true)]
    [InlineData(BfdAuthType.KeyedSha1, 28, 20, false)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, 28, 20, true)]
    [InlineData(BfdAuthType.SimplePassword, 0, 0, false)]
    public void Keyed_Sizes_FollowTheType(BfdAuthType type, int size, int digest, bool meticulous)
    {
        Assert.Equal(size, BfdAuthKeyed.SizeOf(type));
        Assert.Equal(digest, BfdAuthKeyed.DigestLengthOf(type));
        Assert.Equal(meticulous, BfdAuthKeyed.IsMeticulous(type));
    }

    [Fact]
    public void Header_RoundTrip()
    {
        var buffer = new byte[2];

        Assert.True(new BfdAuthSectionHeader(BfdAuthType.KeyedSha1, 28).TryWrite(buffer, out var written));
        Assert.Equal(2, written);
        Assert.Equal([0x04, 0x1C], buffer);
        Assert.True(BfdAuthSectionHeader.TryRead(buffer, out var header));
        Assert.Equal(new BfdAuthSectionHeader(BfdAuthType.KeyedSha1, 28), header);
        Assert.False(BfdAuthSectionHeader.TryRead(buffer.AsSpan(0, 1), out _));
    }
}
