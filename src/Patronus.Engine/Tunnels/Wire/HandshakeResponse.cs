using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Wire;

/// <summary>
/// Handshake response (WireGuard whitepaper §5.4.3), exactly 92 octets.
/// <code>
/// +--------+-----------------+----------------+------------------+----------------+--------------+-----------+-----------+
/// | type 2 | reserved (3, 0) | sender (u32le) | receiver (u32le) | ephemeral (32) | empty (0+16) | mac1 (16) | mac2 (16) |
/// +--------+-----------------+----------------+------------------+----------------+--------------+-----------+-----------+
/// </code>
/// mac1 covers octets [0, 60), mac2 covers [0, 76).
/// </summary>
/// <param name="SenderIndex">The responder's index for the new session.</param>
/// <param name="ReceiverIndex">The initiator's <see cref="HandshakeInitiation.SenderIndex"/>.</param>
/// <param name="Ephemeral">The responder's ephemeral public key.</param>
/// <param name="EncryptedNothing">The AEAD tag over an empty plaintext.</param>
/// <param name="Mac1">Keyed BLAKE2s keyed by the initiator's public key.</param>
/// <param name="Mac2">Keyed BLAKE2s keyed by a cookie, or zero.</param>
public readonly record struct HandshakeResponse(
    uint SenderIndex,
    uint ReceiverIndex,
    Bytes32 Ephemeral,
    Bytes16 EncryptedNothing,
    Bytes16 Mac1,
    Bytes16 Mac2)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 92;

    /// <summary>Offset of mac1.</summary>
    public const int Mac1Offset = 60;

    /// <summary>Offset of mac2.</summary>
    public const int Mac2Offset = 76;

    /// <summary>Reads a message of exactly <see cref="Size"/> octets with type 2 and zero reserved octets.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out HandshakeResponse message)
    {
        message = default;
        if (!MessageHeader.Matches(source, MessageType.HandshakeResponse, Size))
        {
            return false;
        }

        Bytes32 ephemeral = default;
        Bytes16 empty = default;
        Bytes16 mac1 = default;
        Bytes16 mac2 = default;
        source.Slice(12, Bytes32.Size).CopyTo(ephemeral);
        source.Slice(44, Bytes16.Size).CopyTo(empty);
        source.Slice(Mac1Offset, Bytes16.Size).CopyTo(mac1);
        source.Slice(Mac2Offset, Bytes16.Size).CopyTo(mac2);
        message = new HandshakeResponse(
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            ephemeral,
            empty,
            mac1,
            mac2);
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

        MessageHeader.Write(destination, MessageType.HandshakeResponse);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], SenderIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], ReceiverIndex);
        WireBytes.Copy(Ephemeral, destination[12..]);
        WireBytes.Copy(EncryptedNothing, destination[44..]);
        WireBytes.Copy(Mac1, destination[Mac1Offset..]);
        WireBytes.Copy(Mac2, destination[Mac2Offset..]);
        written = Size;
        return true;
    }
}
