using System.Security.Cryptography;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdAuthenticator
{
    /// <summary>
    /// Authenticates a received packet (§6.7.2–6.7.4), in the RFC's order: Auth Type, Auth Key
    /// ID, Auth Len, sequence window, then password or digest. Pure: the caller updates its state
    /// only on <see cref="BfdAuthResult.Accepted"/> (bfd.RcvAuthSeq ← <paramref name="sequence"/>,
    /// bfd.AuthSeqKnown ← 1 for the keyed types). The RFC sets bfd.AuthSeqKnown before checking the
    /// digest; doing it after means an unauthenticated packet can never move the window.
    /// </summary>
    /// <param name="packet">The control packet: exactly Length octets, A bit set.</param>
    /// <param name="sequenceKnown">bfd.AuthSeqKnown.</param>
    /// <param name="lastReceived">bfd.RcvAuthSeq.</param>
    /// <param name="sequence">The received Sequence Number (0 for simple password).</param>
    public BfdAuthResult Verify(ReadOnlySpan<byte> packet, bool sequenceKnown, uint lastReceived, out uint sequence)
    {
        sequence = 0;
        if (packet.Length < BfdControlPacket.MinSizeWithAuthentication || packet.Length > MaxPacketLength)
        {
            return BfdAuthResult.LengthMismatch;
        }

        var section = packet[BfdControlPacket.Size..];
        if ((BfdAuthType)section[0] != Type)
        {
            return BfdAuthResult.TypeMismatch;
        }

        return Type == BfdAuthType.SimplePassword
            ? VerifyPassword(section)
            : VerifyDigest(packet, sequenceKnown, lastReceived, out sequence);
    }

    private BfdAuthResult VerifyPassword(ReadOnlySpan<byte> section)
    {
        if (!BfdAuthSimplePassword.TryRead(section, out var header, out var password) ||
            BfdAuthSimplePassword.FixedSize + password.Length != section.Length)
        {
            return BfdAuthResult.LengthMismatch;
        }

        if (_keys[header.KeyId] is not { } key)
        {
            return BfdAuthResult.UnknownKeyId;
        }

        if (password.Length != key.Length)
        {
            return BfdAuthResult.LengthMismatch;
        }

        return CryptographicOperations.FixedTimeEquals(password, key) ? BfdAuthResult.Accepted : BfdAuthResult.KeyMismatch;
    }

    private BfdAuthResult VerifyDigest(ReadOnlySpan<byte> packet, bool sequenceKnown, uint lastReceived, out uint sequence)
    {
        sequence = 0;
        var sectionBytes = packet[KeyedSectionOffset..];
        if (!BfdAuthKeyed.TryRead(sectionBytes, out var section, out var received) || section.Size != sectionBytes.Length)
        {
            return BfdAuthResult.LengthMismatch;
        }

        if (_keys[section.KeyId] is not { } key)
        {
            return BfdAuthResult.UnknownKeyId;
        }

        sequence = section.SequenceNumber;
        if (!IsSequenceInWindow(IsMeticulous, sequenceKnown, lastReceived, sequence, packet[2]))
        {
            return BfdAuthResult.SequenceOutOfWindow;
        }

        // Recompute over a copy with the key, zero-padded, where the digest was.
        Span<byte> copy = stackalloc byte[MaxPacketLength];
        copy = copy[..packet.Length];
        packet.CopyTo(copy);
        var field = copy[DigestOffset..];
        key.CopyTo(field);
        field[key.Length..].Clear();

        Span<byte> digest = stackalloc byte[BfdAuthKeyed.Sha1Size - BfdAuthKeyed.DigestOffset];
        var written = Hash(copy, digest);
        return CryptographicOperations.FixedTimeEquals(digest[..written], received) ? BfdAuthResult.Accepted : BfdAuthResult.KeyMismatch;
    }
}
