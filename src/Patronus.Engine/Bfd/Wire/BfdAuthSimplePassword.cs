namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// Simple Password Authentication Section (RFC 5880 §4.2), 4–19 octets.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Auth Len    |  Auth Key ID  |  Password...  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                              ...                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Auth Type is 1; Auth Len is the password length plus 3; the password is 1–16 octets. The
/// password is not a field of the struct (that would copy or allocate per packet):
/// <see cref="TryRead"/> hands it out as a slice of the source and <see cref="TryWrite"/> takes it
/// as a span.
/// </summary>
/// <param name="KeyId">Auth Key ID: which configured password this is.</param>
public readonly record struct BfdAuthSimplePassword(byte KeyId)
{
    /// <summary>Auth Type, Auth Len and Auth Key ID.</summary>
    public const int FixedSize = 3;

    public const int MinPasswordLength = 1;

    public const int MaxPasswordLength = 16;

    /// <summary>
    /// Reads a section starting at Auth Type. False unless Auth Type is 1, Auth Len is 4–19 and
    /// <paramref name="source"/> holds Auth Len octets; octets past Auth Len are not looked at.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out BfdAuthSimplePassword section, out ReadOnlySpan<byte> password)
    {
        section = default;
        password = default;
        if (source.Length < FixedSize || source[0] != (byte)BfdAuthType.SimplePassword)
        {
            return false;
        }

        int length = source[1];
        if (length < FixedSize + MinPasswordLength || length > FixedSize + MaxPasswordLength || source.Length < length)
        {
            return false;
        }

        section = new BfdAuthSimplePassword(source[2]);
        password = source[FixedSize..length];
        return true;
    }

    /// <summary>Writes the section with <paramref name="password"/> (1–16 octets).</summary>
    public bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> password, out int written)
    {
        var length = FixedSize + password.Length;
        if (password.Length is < MinPasswordLength or > MaxPasswordLength || destination.Length < length)
        {
            written = 0;
            return false;
        }

        destination[0] = (byte)BfdAuthType.SimplePassword;
        destination[1] = (byte)length;
        destination[2] = KeyId;
        password.CopyTo(destination[FixedSize..]);
        written = length;
        return true;
    }
}
