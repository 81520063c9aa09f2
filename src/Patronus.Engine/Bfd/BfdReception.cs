using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// The discard rules of RFC 5880 §6.8.6, as pure functions, in the RFC's order. A receive loop
/// runs <see cref="Check"/> on the datagram, selects the session (by Your Discriminator when it is
/// nonzero, else by addresses — the RFC leaves that to the application), runs
/// <see cref="CheckSession"/> for the lookup's outcome, and hands an accepted packet to
/// <see cref="BfdSessionState.OnPacketReceived"/>, which authenticates it (§6.7) and runs the
/// state machine.
/// </summary>
public static class BfdReception
{
    /// <summary>
    /// The checks that need no session: version, lengths, Detect Mult, M bit, My Discriminator, and
    /// Your Discriminator zero outside Down/AdminDown. <paramref name="packet"/> is filled whenever
    /// 24 octets could be read, so that a caller can log what it dropped.
    /// </summary>
    /// <param name="datagram">The UDP payload: exactly what was received.</param>
    /// <param name="packet">The mandatory section.</param>
    public static BfdDropReason Check(ReadOnlySpan<byte> datagram, out BfdControlPacket packet)
    {
        if (!BfdControlPacket.TryRead(datagram, out packet))
        {
            return BfdDropReason.Truncated;
        }

        if (packet.Version != BfdControlPacket.CurrentVersion)
        {
            return BfdDropReason.VersionMismatch;
        }

        var minimum = packet.AuthenticationPresent ? BfdControlPacket.MinSizeWithAuthentication : BfdControlPacket.Size;
        if (packet.Length < minimum)
        {
            return BfdDropReason.LengthTooShort;
        }

        if (packet.Length > datagram.Length)
        {
            return BfdDropReason.LengthExceedsPayload;
        }

        // Not a numbered rule of §6.8.6, but the section must end where Length says the packet
        // does, or the digest (computed over Length octets) and the section disagree.
        if (packet.AuthenticationPresent &&
            (!BfdAuthSectionHeader.TryRead(datagram[BfdControlPacket.Size..], out var auth) ||
             BfdControlPacket.Size + auth.Length != packet.Length))
        {
            return BfdDropReason.AuthLengthMismatch;
        }

        if (packet.DetectMult == 0)
        {
            return BfdDropReason.ZeroDetectMult;
        }

        if (packet.Multipoint)
        {
            return BfdDropReason.Multipoint;
        }

        if (packet.MyDiscriminator == 0)
        {
            return BfdDropReason.ZeroMyDiscriminator;
        }

        if (packet.YourDiscriminator == 0 && packet.State is not (BfdState.Down or BfdState.AdminDown))
        {
            return BfdDropReason.YourDiscriminatorZeroNotDownOrAdminDown;
        }

        return BfdDropReason.None;
    }

    /// <summary>
    /// The checks after session selection: whether a session was found, and whether the A bit
    /// agrees with the session's bfd.AuthType.
    /// </summary>
    /// <param name="packet">A packet <see cref="Check"/> accepted.</param>
    /// <param name="sessionFound">Whether the caller's lookup selected a session.</param>
    /// <param name="sessionAuthType">bfd.AuthType of the selected session.</param>
    public static BfdDropReason CheckSession(in BfdControlPacket packet, bool sessionFound, BfdAuthType sessionAuthType)
    {
        if (!sessionFound)
        {
            return packet.YourDiscriminator != 0 ? BfdDropReason.UnknownYourDiscriminator : BfdDropReason.NoMatchingSession;
        }

        if (packet.AuthenticationPresent && sessionAuthType == BfdAuthType.None)
        {
            return BfdDropReason.AuthPresentButNotConfigured;
        }

        if (!packet.AuthenticationPresent && sessionAuthType != BfdAuthType.None)
        {
            return BfdDropReason.AuthMissingButConfigured;
        }

        return BfdDropReason.None;
    }
}
