using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Wire;

/// <summary>
/// Cookie reply (WireGuard whitepaper §5.4.7), exactly 64 octets: sent instead of a response
/// when the responder is under load and the handshake message had no valid mac2.
/// <code>
/// +--------+-----------------+------------------+------------+--------------------+
/// | type 3 | reserved (3, 0) | receiver (u32le) | nonce (24) | cookie (16 + 16)   |
/// +--------+-----------------+------------------+------------+--------------------+
/// </code>
/// </summary>
/// <param name="ReceiverIndex">The sender index of the handshake message this answers.</param>
/// <param name="Nonce">Random XChaCha20-Poly1305 nonce.</param>
/// <param name="EncryptedCookie">The 16-octet cookie, XChaCha20-Poly1305-sealed with that message's mac1 as associated data.</param>
public readonly record struct CookieReply(uint ReceiverIndex, Bytes24 Nonce, Bytes32 EncryptedCookie)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 64;

    /// <summary>Reads a message of exactly <see cref="Size"/> octets with type 3 and zero reserved octets.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out CookieReply message)
    {
        message = default;
        if (!MessageHeader.Matches(source, MessageType.CookieReply, Size))
        {
            return false;
        }

        Bytes24 nonce = default;
        Bytes32 cookie = default;
        source.Slice(8, Bytes24.Size).CopyTo(nonce);
        source.Slice(32, Bytes32.Size).CopyTo(cookie);
        message = new CookieReply(BinaryPrimitives.ReadUInt32LittleEndian(source[4..]), nonce, cookie);
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

        MessageHeader.Write(destination, MessageType.CookieReply);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], ReceiverIndex);
        WireBytes.Copy(Nonce, destination[8..]);
        WireBytes.Copy(EncryptedCookie, destination[32..]);
        written = Size;
        return true;
    }
}
