using System.Buffers.Binary;

namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// Keyed MD5 and Meticulous Keyed MD5 Authentication Section (RFC 5880 §4.3), 24 octets, and
/// Keyed SHA1 and Meticulous Keyed SHA1 Authentication Section (§4.4), 28 octets: the same layout
/// with a 16-octet digest or a 20-octet hash.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Auth Len    |  Auth Key ID  |   Reserved    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Sequence Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Auth Key/Digest (MD5: 16 octets)...           |
/// |                 Auth Key/Hash (SHA1: 20 octets)...            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Auth Type 2 or 3 with Auth Len 24; 4 or 5 with Auth Len 28. Reserved is zero on transmit and
/// ignored on receipt. While the digest is computed the field holds the key padded with trailing
/// zero octets (§4.3, §4.4), which is what <see cref="TryWrite"/> does with a short
/// <c>digest</c>. The digest is not a field of the struct: <see cref="TryRead"/> hands it out as a
/// slice of the source.
/// </summary>
/// <param name="Type">One of the four keyed types.</param>
/// <param name="KeyId">Auth Key ID: which configured key signed the packet.</param>
/// <param name="SequenceNumber">bfd.XmitAuthSeq of the sender (§6.7.3).</param>
public readonly record struct BfdAuthKeyed(BfdAuthType Type, byte KeyId, uint SequenceNumber)
{
    /// <summary>Auth Len of the MD5 types (§4.3).</summary>
    public const int Md5Size = 24;

    /// <summary>Auth Len of the SHA1 types (§4.4).</summary>
    public const int Sha1Size = 28;

    /// <summary>Offset of Auth Key/Digest (or Hash) within the section.</summary>
    public const int DigestOffset = 8;

    /// <summary>Octets of this section on the wire, or 0 when <see cref="Type"/> is not a keyed type.</summary>
    public int Size => SizeOf(Type);

    /// <summary>Octets of the digest (or hash) field: 16 for MD5, 20 for SHA1, 0 for other types.</summary>
    public int DigestLength => DigestLengthOf(Type);

    /// <summary>Auth Len of a keyed type: 24 for MD5, 28 for SHA1, 0 for any other type.</summary>
    public static int SizeOf(BfdAuthType type) => type switch
    {
        BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 => Md5Size,
        BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1 => Sha1Size,
        _ => 0,
    };

    /// <summary>Octets of the digest field of a keyed type: 16, 20, or 0 for any other type.</summary>
    public static int DigestLengthOf(BfdAuthType type) => SizeOf(type) is var size and > 0 ? size - DigestOffset : 0;

    /// <summary>Whether <paramref name="type"/> requires the sequence number to grow with every packet.</summary>
    public static bool IsMeticulous(BfdAuthType type) => type is BfdAuthType.MeticulousKeyedMd5 or BfdAuthType.MeticulousKeyedSha1;

    /// <summary>
    /// Reads a section starting at Auth Type. False unless Auth Type is 2–5, Auth Len is the
    /// type's (24 or 28) and <paramref name="source"/> holds that many octets.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out BfdAuthKeyed section, out ReadOnlySpan<byte> digest)
    {
        section = default;
        digest = default;
        if (source.Length < DigestOffset)
        {
            return false;
        }

        var type = (BfdAuthType)source[0];
        var size = SizeOf(type);
        if (size == 0 || source[1] != size || source.Length < size)
        {
            return false;
        }

        section = new BfdAuthKeyed(type, source[2], BinaryPrimitives.ReadUInt32BigEndian(source[4..]));
        digest = source[DigestOffset..size];
        return true;
    }

    /// <summary>
    /// Writes the section with <paramref name="digest"/> in the digest field, zero-padded when it
    /// is shorter (a key while signing); false when it is longer than the field or
    /// <see cref="Type"/> is not a keyed type.
    /// </summary>
    public bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> digest, out int written)
    {
        var size = Size;
        if (size == 0 || destination.Length < size || digest.Length > size - DigestOffset)
        {
            written = 0;
            return false;
        }

        destination[0] = (byte)Type;
        destination[1] = (byte)size;
        destination[2] = KeyId;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], SequenceNumber);
        var field = destination[DigestOffset..size];
        digest.CopyTo(field);
        field[digest.Length..].Clear();
        written = size;
        return true;
    }
}
