using System.Buffers.Binary;
using NSec.Cryptography;
using ChaCha20Poly1305 = System.Security.Cryptography.ChaCha20Poly1305;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The AEADs of WireGuard (whitepaper §5.4): ChaCha20-Poly1305 (RFC 8439, from
/// System.Security.Cryptography) with a 96-bit nonce of 32 zero bits and a 64-bit little-endian
/// counter, and XChaCha20-Poly1305 (libsodium through NSec) with a random 192-bit nonce for
/// cookie replies. The tag follows the ciphertext.
/// </summary>
public static class NoiseAead
{
    /// <summary>Octets of a Poly1305 tag.</summary>
    public const int TagSize = 16;

    /// <summary>Octets of a symmetric key.</summary>
    public const int KeySize = 32;

    /// <summary>Octets of a ChaCha20-Poly1305 nonce.</summary>
    public const int NonceSize = 12;

    /// <summary>Octets of an XChaCha20-Poly1305 nonce.</summary>
    public const int ExtendedNonceSize = 24;

    /// <summary>Writes the nonce for <paramref name="counter"/>: four zero octets, then the counter little-endian.</summary>
    public static void WriteNonce(ulong counter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="destination"/> (plaintext length + 16 octets).</summary>
    public static void Seal(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        using var aead = new ChaCha20Poly1305(key);
        Seal(aead, counter, plaintext, associatedData, destination);
    }

    /// <summary>Seals with an existing cipher instance (the data path keeps one per session key).</summary>
    public static void Seal(ChaCha20Poly1305 aead, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(aead);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(counter, nonce);
        aead.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagSize), associatedData);
    }

    /// <summary>
    /// Opens <paramref name="sealedData"/> (ciphertext then tag) into <paramref name="plaintext"/>
    /// (16 octets shorter); false when it is shorter than a tag or does not authenticate.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        using var aead = new ChaCha20Poly1305(key);
        return TryOpen(aead, counter, sealedData, associatedData, plaintext);
    }

    /// <summary>Opens with an existing cipher instance.</summary>
    public static bool TryOpen(ChaCha20Poly1305 aead, ulong counter, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(aead);
        var length = sealedData.Length - TagSize;
        if (length < 0 || plaintext.Length < length)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(counter, nonce);
        try
        {
            aead.Decrypt(nonce, sealedData[..length], sealedData[length..], plaintext[..length], associatedData);
            return true;
        }
        catch (System.Security.Cryptography.AuthenticationTagMismatchException)
        {
            // The one expected failure of a forged or corrupted datagram: a value, not an error.
            return false;
        }
    }

    /// <summary>XChaCha20-Poly1305 seal into <paramref name="destination"/> (plaintext length + 16 octets).</summary>
    public static void ExtendedSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        var algorithm = AeadAlgorithm.XChaCha20Poly1305;
        using var secret = Key.Import(algorithm, key, KeyBlobFormat.RawSymmetricKey);
        algorithm.Encrypt(secret, nonce, associatedData, plaintext, destination[..(plaintext.Length + TagSize)]);
    }

    /// <summary>XChaCha20-Poly1305 open; false when it does not authenticate or the sizes are wrong.</summary>
    public static bool TryExtendedOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        var length = sealedData.Length - TagSize;
        if (key.Length != KeySize || nonce.Length != ExtendedNonceSize || length < 0 || plaintext.Length < length)
        {
            return false;
        }

        var algorithm = AeadAlgorithm.XChaCha20Poly1305;
        using var secret = Key.Import(algorithm, key, KeyBlobFormat.RawSymmetricKey);
        return algorithm.Decrypt(secret, nonce, associatedData, sealedData, plaintext[..length]);
    }
}
