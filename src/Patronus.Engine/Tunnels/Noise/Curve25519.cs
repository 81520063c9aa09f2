using System.Security.Cryptography;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// X25519 (RFC 7748) from BouncyCastle: key generation, public keys and Diffie-Hellman.
/// </summary>
public static class Curve25519
{
    /// <summary>Octets of a private key, a public key and a shared secret.</summary>
    public const int KeySize = 32;

    /// <summary>
    /// Fills <paramref name="privateKey"/> with a random, clamped private key (RFC 7748 §5
    /// decodeScalar25519: the form `wg genkey` prints).
    /// </summary>
    public static void GeneratePrivateKey(Span<byte> privateKey)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(privateKey.Length, KeySize);
        RandomNumberGenerator.Fill(privateKey);
        Clamp(privateKey);
    }

    /// <summary>Clears the three low bits and the top bit and sets bit 254 (RFC 7748 §5).</summary>
    public static void Clamp(Span<byte> privateKey)
    {
        privateKey[0] &= 248;
        privateKey[31] &= 127;
        privateKey[31] |= 64;
    }

    /// <summary>The public key of <paramref name="privateKey"/> (X25519 with the base point 9).</summary>
    public static void PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(privateKey.Length, KeySize);
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, KeySize);
        BcX25519.ScalarMultBase(privateKey, publicKey);
    }

    /// <summary>
    /// X25519(<paramref name="privateKey"/>, <paramref name="publicKey"/>); false when the result
    /// is all zero (a low-order public key), which WireGuard rejects.
    /// </summary>
    public static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        if (privateKey.Length != KeySize || publicKey.Length != KeySize || sharedSecret.Length != KeySize)
        {
            return false;
        }

        return BcX25519.CalculateAgreement(privateKey, publicKey, sharedSecret);
    }
}
