using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>RFC 5880 §6.7.2.</summary>
public class BfdSimplePasswordTests
{
    private static readonly BfdAuthenticator s_authenticator = BfdAuthenticator.Create(BfdAuthType.SimplePassword, 4, "hunter2"u8);

    [Fact]
    public void TrySign_MatchesGoldenBytes()
    {
        byte[] expected =
        [
            0x20, 0xC4, 0x03, 0x22, // Vers 1, Sta Up + A, Detect Mult 3, Length 24 + 10
            0x22, 0x22, 0x22, 0x22,
            0x11, 0x11, 0x11, 0x11,
            0x00, 0x04, 0x93, 0xE0,
            0x00, 0x04, 0x93, 0xE0,
            0x00, 0x00, 0x00, 0x00,
            0x01, 0x0A, 0x04,       // Auth Type 1, Auth Len 3 + 7, Auth Key ID 4
            (byte)'h', (byte)'u', (byte)'n', (byte)'t', (byte)'e', (byte)'r', (byte)'2',
        ];

        Assert.Equal(10, s_authenticator.SectionLength);
        Assert.Equal(expected, BfdAuthenticatorTests.Signed(s_authenticator, 12345));
    }

    [Fact]
    public void Verify_Valid_Accepted()
    {
        Assert.Equal(BfdAuthResult.Accepted, s_authenticator.Verify(Packet(4, "hunter2"u8), sequenceKnown: true, 5, out var sequence));
        Assert.Equal(0u, sequence);
    }

    [Fact]
    public void Verify_WrongPassword_KeyMismatch()
    {
        Assert.Equal(BfdAuthResult.KeyMismatch, s_authenticator.Verify(Packet(4, "hunter3"u8), false, 0, out _));
    }

    [Fact]
    public void Verify_WrongKeyId_UnknownKeyId()
    {
        Assert.Equal(BfdAuthResult.UnknownKeyId, s_authenticator.Verify(Packet(5, "hunter2"u8), false, 0, out _));
    }

    [Fact]
    public void Verify_PasswordOfOtherLength_LengthMismatch()
    {
        Assert.Equal(BfdAuthResult.LengthMismatch, s_authenticator.Verify(Packet(4, "hunter"u8), false, 0, out _));
    }

    [Fact]
    public void Verify_Replayed_StillAccepted()
    {
        // Simple password has no sequence number: a replay cannot be told apart (the RFC's own caveat).
        var packet = Packet(4, "hunter2"u8);

        Assert.Equal(BfdAuthResult.Accepted, s_authenticator.Verify(packet, false, 0, out _));
        Assert.Equal(BfdAuthResult.Accepted, s_authenticator.Verify(packet, false, 0, out _));
    }

    private static byte[] Packet(byte keyId, ReadOnlySpan<byte> password)
    {
        var bytes = new byte[24 + 3 + password.Length];
        (BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.AuthenticationPresent) with { Length = (byte)bytes.Length }).TryWrite(bytes, out _);
        Assert.True(new BfdAuthSimplePassword(keyId).TryWrite(bytes.AsSpan(24), password, out _));
        return bytes;
    }
}
