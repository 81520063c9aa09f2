namespace Patronus.Engine.Bfd;

/// <summary>
/// Why a received control packet was discarded (RFC 5880 §6.8.6), in the order the checks run.
/// One value per metric label; <see cref="None"/> means the packet was accepted.
/// </summary>
public enum BfdDropReason
{
    /// <summary>Not discarded.</summary>
    None = 0,

    /// <summary>Fewer than 24 octets: not even the mandatory section.</summary>
    Truncated,

    /// <summary>Vers is not 1.</summary>
    VersionMismatch,

    /// <summary>Length below 24, or below 26 with the A bit set.</summary>
    LengthTooShort,

    /// <summary>Length beyond the UDP payload.</summary>
    LengthExceedsPayload,

    /// <summary>A bit set but Auth Len does not fill Length exactly (24 + Auth Len ≠ Length).</summary>
    AuthLengthMismatch,

    /// <summary>Detect Mult is zero.</summary>
    ZeroDetectMult,

    /// <summary>The M bit is set.</summary>
    Multipoint,

    /// <summary>My Discriminator is zero.</summary>
    ZeroMyDiscriminator,

    /// <summary>Your Discriminator is zero and State is neither Down nor AdminDown.</summary>
    YourDiscriminatorZeroNotDownOrAdminDown,

    /// <summary>Your Discriminator is nonzero and selects no session.</summary>
    UnknownYourDiscriminator,

    /// <summary>Your Discriminator is zero and the addresses select no session (the RFC lets us discard or create; we discard).</summary>
    NoMatchingSession,

    /// <summary>A bit set, bfd.AuthType zero.</summary>
    AuthPresentButNotConfigured,

    /// <summary>A bit clear, bfd.AuthType nonzero.</summary>
    AuthMissingButConfigured,

    /// <summary>Authentication per §6.7 failed; <see cref="BfdAuthResult"/> says how.</summary>
    AuthFailed,

    /// <summary>bfd.SessionState is AdminDown: the packet updated the remote variables and is then discarded.</summary>
    SessionAdminDown,
}
