namespace Patronus.Engine.Bfd;

/// <summary>The outcome of authenticating one received packet (RFC 5880 §6.7.2–6.7.4).</summary>
public enum BfdAuthResult
{
    /// <summary>Authentic, and the sequence number (if any) is acceptable.</summary>
    Accepted = 0,

    /// <summary>Auth Type is not the session's bfd.AuthType.</summary>
    TypeMismatch,

    /// <summary>Auth Len is wrong for the type (simple password: 4–19 and 3 + password length; MD5: 24; SHA1: 28).</summary>
    LengthMismatch,

    /// <summary>Auth Key ID selects no configured key.</summary>
    UnknownKeyId,

    /// <summary>The password, digest or hash does not match the selected key.</summary>
    KeyMismatch,

    /// <summary>bfd.AuthSeqKnown is 1 and the sequence number is outside the window (a replay or a jump).</summary>
    SequenceOutOfWindow,
}
