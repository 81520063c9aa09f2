using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The hash functions of WireGuard (whitepaper §5.4), all on BLAKE2s (RFC 7693, BouncyCastle's
/// implementation): <c>Hash</c> is BLAKE2s-256, <c>Mac</c> is keyed BLAKE2s with a 16-octet
/// output, <c>Hmac</c> is HMAC (RFC 2104) over BLAKE2s-256 and <c>Kdf1..3</c> is HKDF (RFC 5869)
/// over that HMAC with an empty info string, as the Noise framework defines it (§4.3).
/// Used on the handshake path only; transport data uses no hash.
/// </summary>
public static class NoiseHash
{
    /// <summary>Octets of a hash, an HMAC, and of every KDF output.</summary>
    public const int HashSize = 32;

    /// <summary>Octets of a <see cref="Mac"/> output.</summary>
    public const int MacSize = 16;

    /// <summary>BLAKE2s-256 of the concatenation of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        var digest = new Blake2sDigest(HashSize * 8);
        digest.BlockUpdate(first);
        digest.BlockUpdate(second);
        digest.DoFinal(destination);
    }

    /// <summary>Keyed BLAKE2s with a 16-octet output (WireGuard's <c>Mac</c>, used for mac1, mac2 and cookies).</summary>
    public static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> destination)
    {
        var digest = new Blake2sDigest(key.ToArray(), MacSize, null, null);
        digest.BlockUpdate(input);
        digest.DoFinal(destination);
    }

    /// <summary>HMAC-BLAKE2s-256 of the concatenation of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        var hmac = new HMac(new Blake2sDigest(HashSize * 8));
        hmac.Init(new KeyParameter(key));
        hmac.BlockUpdate(first);
        hmac.BlockUpdate(second);
        hmac.DoFinal(destination);
    }

    /// <summary>
    /// HKDF with <paramref name="count"/> (1–3) outputs of 32 octets written one after another
    /// into <paramref name="destination"/>: τ0 = Hmac(key, input), τ1 = Hmac(τ0, 0x1),
    /// τi = Hmac(τ0, τi−1 ‖ i).
    /// </summary>
    public static void Kdf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, int count, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, count * HashSize);
        Span<byte> secret = stackalloc byte[HashSize];
        Span<byte> counter = stackalloc byte[1];
        Hmac(key, input, default, secret);
        ReadOnlySpan<byte> previous = default;
        for (var i = 0; i < count; i++)
        {
            counter[0] = (byte)(i + 1);
            var output = destination.Slice(i * HashSize, HashSize);
            Hmac(secret, previous, counter, output);
            previous = output;
        }

        secret.Clear();
    }
}
