using System.Buffers.Binary;
using System.Security.Cryptography;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// RFC 5880 §6.7.3/§6.7.4. The expected packets are built here from the RFC's description alone:
/// the section with the key, zero-padded, in the digest field, then MD5 or SHA1 over the whole
/// packet written into that field.
/// </summary>
public class BfdAuthenticatorTests
{
    private static readonly byte[] s_key = "patronus-key"u8.ToArray();

    public static TheoryData<BfdAuthType> KeyedTypes =>
        [BfdAuthType.KeyedMd5, BfdAuthType.MeticulousKeyedMd5, BfdAuthType.KeyedSha1, BfdAuthType.MeticulousKeyedSha1];

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void TrySign_Keyed_MatchesHandComputedDigest(BfdAuthType type)
    {
        var expected = HandSigned(type, keyId: 9, sequence: 0xA1B2_C3D4, s_key);
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(expected, Signed(authenticator, 0xA1B2_C3D4));
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_Valid_Accepted(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(BfdAuthResult.Accepted, authenticator.Verify(HandSigned(type, 9, 77, s_key), sequenceKnown: false, 0, out var sequence));
        Assert.Equal(77u, sequence);
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_WrongKey_KeyMismatch(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(BfdAuthResult.KeyMismatch, authenticator.Verify(HandSigned(type, 9, 77, "another-key"u8.ToArray()), false, 0, out _));
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_WrongKeyId_UnknownKeyId(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(BfdAuthResult.UnknownKeyId, authenticator.Verify(HandSigned(type, 10, 77, s_key), false, 0, out _));
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_TamperedPacket_KeyMismatch(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);
        var packet = HandSigned(type, 9, 77, s_key);
        packet[1] ^= 0x40; // Up → Init

        Assert.Equal(BfdAuthResult.KeyMismatch, authenticator.Verify(packet, false, 0, out _));
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_ReplayedOlderSequence_Rejected(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(BfdAuthResult.SequenceOutOfWindow, authenticator.Verify(HandSigned(type, 9, 99, s_key), sequenceKnown: true, 100, out _));
    }

    [Theory]
    [InlineData(BfdAuthType.KeyedMd5, BfdAuthResult.Accepted)]
    [InlineData(BfdAuthType.KeyedSha1, BfdAuthResult.Accepted)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5, BfdAuthResult.SequenceOutOfWindow)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, BfdAuthResult.SequenceOutOfWindow)]
    public void Verify_SameSequence_KeyedAcceptsMeticulousRejects(BfdAuthType type, BfdAuthResult expected)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        Assert.Equal(expected, authenticator.Verify(HandSigned(type, 9, 100, s_key), sequenceKnown: true, 100, out _));
    }

    [Theory]
    // Detect Mult 3 in the packet: the window reaches 9 ahead.
    [InlineData(false, 100u, 100u, true)]
    [InlineData(false, 100u, 109u, true)]
    [InlineData(false, 100u, 110u, false)]
    [InlineData(false, 100u, 99u, false)]
    [InlineData(true, 100u, 100u, false)]
    [InlineData(true, 100u, 101u, true)]
    [InlineData(true, 100u, 109u, true)]
    [InlineData(true, 100u, 110u, false)]
    // Circular 32-bit space.
    [InlineData(true, 0xFFFF_FFFEu, 3u, true)]
    [InlineData(true, 0xFFFF_FFFEu, 7u, true)]
    [InlineData(true, 0xFFFF_FFFEu, 8u, false)]
    [InlineData(false, 0xFFFF_FFFFu, 0xFFFF_FFFFu, true)]
    [InlineData(false, 3u, 0xFFFF_FFFFu, false)]
    public void IsSequenceInWindow_Row(bool meticulous, uint last, uint received, bool expected)
    {
        Assert.Equal(expected, BfdAuthenticator.IsSequenceInWindow(meticulous, sequenceKnown: true, last, received, detectMult: 3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IsSequenceInWindow_SequenceUnknown_AcceptsAnything(bool meticulous)
    {
        Assert.True(BfdAuthenticator.IsSequenceInWindow(meticulous, sequenceKnown: false, 100, 99, 1));
    }

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Verify_Keyed_WindowFollowsPacketDetectMult(BfdAuthType type)
    {
        var authenticator = BfdAuthenticator.Create(type, 9, s_key);

        // HandSigned sends Detect Mult 3: 9 ahead is in, 10 is out.
        Assert.Equal(BfdAuthResult.Accepted, authenticator.Verify(HandSigned(type, 9, 109, s_key), true, 100, out _));
        Assert.Equal(BfdAuthResult.SequenceOutOfWindow, authenticator.Verify(HandSigned(type, 9, 110, s_key), true, 100, out _));
    }

    [Fact]
    public void Verify_TypeMismatch_Rejected()
    {
        var authenticator = BfdAuthenticator.Create(BfdAuthType.KeyedSha1, 9, s_key);

        Assert.Equal(BfdAuthResult.TypeMismatch, authenticator.Verify(HandSigned(BfdAuthType.MeticulousKeyedSha1, 9, 1, s_key), false, 0, out _));
    }

    [Fact]
    public void Verify_AuthLenWrongForType_LengthMismatch()
    {
        var authenticator = BfdAuthenticator.Create(BfdAuthType.KeyedSha1, 9, s_key);
        var packet = HandSigned(BfdAuthType.KeyedSha1, 9, 1, s_key);
        packet[25] = 24;

        Assert.Equal(BfdAuthResult.LengthMismatch, authenticator.Verify(packet, false, 0, out _));
        Assert.Equal(BfdAuthResult.LengthMismatch, authenticator.Verify(packet.AsSpan(0, 25), false, 0, out _));
    }

    [Fact]
    public void Verify_SecondConfiguredKey_Accepted()
    {
        var authenticator = new BfdAuthenticator(BfdAuthType.MeticulousKeyedSha1, [new BfdAuthKey(1, "old"u8.ToArray()), new BfdAuthKey(2, s_key)], transmitKeyId: 1);

        Assert.Equal(BfdAuthResult.Accepted, authenticator.Verify(HandSigned(BfdAuthType.MeticulousKeyedSha1, 2, 5, s_key), false, 0, out _));
        Assert.Equal(BfdAuthResult.Accepted, authenticator.Verify(HandSigned(BfdAuthType.MeticulousKeyedSha1, 1, 5, "old"u8.ToArray()), false, 0, out _));
    }

    [Fact]
    public void Sign_TwentyOctetSha1Key_FillsTheField()
    {
        var key = Enumerable.Range(100, 20).Select(i => (byte)i).ToArray();
        var authenticator = BfdAuthenticator.Create(BfdAuthType.KeyedSha1, 1, key);

        Assert.Equal(HandSigned(BfdAuthType.KeyedSha1, 1, 3, key), Signed(authenticator, 3));
    }

    [Theory]
    [InlineData(BfdAuthType.SimplePassword, 17)]
    [InlineData(BfdAuthType.KeyedMd5, 17)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, 21)]
    [InlineData(BfdAuthType.KeyedSha1, 0)]
    public void Constructor_SecretLengthOutOfRange_Throws(BfdAuthType type, int length)
    {
        Assert.Throws<ArgumentException>(() => BfdAuthenticator.Create(type, 1, new byte[length]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Constructor_NotAnAuthType_Throws(int type)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BfdAuthenticator.Create((BfdAuthType)type, 1, s_key));
    }

    [Fact]
    public void Constructor_TransmitKeyMissingOrDuplicateId_Throws()
    {
        Assert.Throws<ArgumentException>(() => new BfdAuthenticator(BfdAuthType.KeyedMd5, [new BfdAuthKey(1, s_key)], 2));
        Assert.Throws<ArgumentException>(() => new BfdAuthenticator(BfdAuthType.KeyedMd5, [new BfdAuthKey(1, s_key), new BfdAuthKey(1, s_key)], 1));
    }

    [Fact]
    public void AuthKey_ToString_HidesSecret()
    {
        Assert.DoesNotContain("patronus", new BfdAuthKey(1, s_key).ToString(), StringComparison.Ordinal);
    }

    internal static byte[] Signed(BfdAuthenticator authenticator, uint sequence)
    {
        var buffer = new byte[BfdControlPacket.Size + authenticator.SectionLength];
        Assert.True(Mandatory((byte)buffer.Length).TryWrite(buffer, out _));
        Assert.True(authenticator.TrySign(buffer, sequence));
        return buffer;
    }

    private static BfdControlPacket Mandatory(byte length) =>
        BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.AuthenticationPresent) with { Length = length };

    /// <summary>The packet as §4.3/§4.4 and §6.7.3/§6.7.4 describe it, byte by byte.</summary>
    internal static byte[] HandSigned(BfdAuthType type, byte keyId, uint sequence, byte[] key)
    {
        var md5 = type is BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5;
        var authLength = md5 ? 24 : 28;
        var bytes = new byte[24 + authLength];
        byte[] mandatory =
        [
            0x20, 0xC4, 0x03, (byte)bytes.Length, // Vers 1 Diag 0, Sta Up + A, Detect Mult 3, Length
            0x22, 0x22, 0x22, 0x22,               // My Discriminator
            0x11, 0x11, 0x11, 0x11,               // Your Discriminator
            0x00, 0x04, 0x93, 0xE0,               // Desired Min TX 300 ms
            0x00, 0x04, 0x93, 0xE0,               // Required Min RX 300 ms
            0x00, 0x00, 0x00, 0x00,               // Required Min Echo RX 0
        ];
        mandatory.CopyTo(bytes, 0);
        bytes[24] = (byte)type;
        bytes[25] = (byte)authLength;
        bytes[26] = keyId;
        bytes[27] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(28), sequence);
        key.CopyTo(bytes, 32); // the rest of the field stays zero: the padding
#pragma warning disable CA5350, CA5351 // required by the RFC
        var digest = md5 ? MD5.HashData(bytes) : SHA1.HashData(bytes);
#pragma warning restore CA5350, CA5351
        digest.CopyTo(bytes, 32);
        return bytes;
    }
}
