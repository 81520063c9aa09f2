using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Wire;

/// <summary>
/// Handshake initiation (WireGuard whitepaper §5.4.2), exactly 148 octets.
/// <code>
/// +--------+-----------------+----------------+----------------+------------------+--------------------+-----------+-----------+
/// | type 1 | reserved (3, 0) | sender (u32le) | ephemeral (32) | static (32 + 16) | timestamp (12 + 16) | mac1 (16) | mac2 (16) |
/// +--------+-----------------+----------------+----------------+------------------+--------------------+-----------+-----------+
/// </code>
/// mac1 covers octets [0, 116), mac2 covers [0, 132) (§5.4.4).
/// </summary>
/// <param name="SenderIndex">The initiator's index for the session it proposes.</param>
/// <param name="Ephemeral">The initiator's ephemeral public key, in clear.</param>
/// <param name="EncryptedStatic">The initiator's static public key, AEAD-sealed.</param>
/// <param name="EncryptedTimestamp">A TAI64N timestamp, AEAD-sealed.</param>
/// <param name="Mac1">Keyed BLAKE2s over the message so far, keyed by the responder's public key.</param>
/// <param name="Mac2">Keyed BLAKE2s keyed by a cookie, or zero.</param>
public readonly record struct HandshakeInitiation(
    uint SenderIndex,
    Bytes32 Ephemeral,
    Bytes48 EncryptedStatic,
    Bytes28 EncryptedTimestamp,
    Bytes16 Mac1,
    Bytes16 Mac2)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 148;

    /// <summary>Offset of mac1; mac1 covers the octets before it.</summary>
    public const int Mac1Offset = 116;

    /// <summary>Offset of mac2; mac2 covers the octets before it.</summary>
    public const int Mac2Offset = 132;

    /// <summary>Reads a message of exactly <see cref="Size"/> octets with type 1 and zero reserved octets.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out HandshakeInitiation message)
    {
        message = default;
        if (!MessageHeader.Matches(source, MessageType.HandshakeInitiation, Size))
        {
            return false;
        }

        Bytes32 ephemeral = default;
        Bytes48 encryptedStatic = default;
        Bytes28 encryptedTimestamp = default;
        Bytes16 mac1 = default;
        Bytes16 mac2 = default;
        source.Slice(8, Bytes32.Size).CopyTo(ephemeral);
        source.Slice(40, Bytes48.Size).CopyTo(encryptedStatic);
        source.Slice(88, Bytes28.Size).CopyTo(encryptedTimestamp);
        source.Slice(Mac1Offset, Bytes16.Size).CopyTo(mac1);
        source.Slice(Mac2Offset, Bytes16.Size).CopyTo(mac2);
        message = new HandshakeInitiation(
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]), ephemeral, encryptedStatic, encryptedTimestamp, mac1, mac2);
        return true;
    }

    /// <summary>Writes the <see cref="Size"/> octets; false when <paramref name="destination"/> is shorter.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < Size)
        {
            return false;
        }

        MessageHeader.Write(destination, MessageType.HandshakeInitiation);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], SenderIndex);
        WireBytes.Copy(Ephemeral, destination[8..]);
        WireBytes.Copy(EncryptedStatic, destination[40..]);
        WireBytes.Copy(EncryptedTimestamp, destination[88..]);
        WireBytes.Copy(Mac1, destination[Mac1Offset..]);
        WireBytes.Copy(Mac2, destination[Mac2Offset..]);
        written = Size;
        return true;
    }
}
