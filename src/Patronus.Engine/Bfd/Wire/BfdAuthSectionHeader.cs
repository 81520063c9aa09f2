namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// The two octets every Authentication Section starts with (RFC 5880 §4.1), right after the
/// mandatory section when the A bit is set.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Auth Len    |    Authentication Data...     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
/// <param name="Type">Auth Type.</param>
/// <param name="Length">Auth Len: octets of the whole section, these two included.</param>
public readonly record struct BfdAuthSectionHeader(BfdAuthType Type, byte Length)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 2;

    public static bool TryRead(ReadOnlySpan<byte> source, out BfdAuthSectionHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new BfdAuthSectionHeader((BfdAuthType)source[0], source[1]);
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (destination.Length < Size || (uint)Type > byte.MaxValue)
        {
            written = 0;
            return false;
        }

        destination[0] = (byte)Type;
        destination[1] = Length;
        written = Size;
        return true;
    }
}
