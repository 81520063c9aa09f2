using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// This side's static key pair and the keys derived from its public key that the handshake
/// needs: the mac1 key (Hash("mac1----" ‖ public)) that peers use on messages to us and the
/// cookie key (Hash("cookie--" ‖ public)) that seals our cookie replies (whitepaper §5.4.4,
/// §5.4.7). Immutable; shared by every peer of one interface.
/// </summary>
public sealed class NoiseIdentity
{
    private readonly Bytes32 _privateKey;
    private readonly Bytes32 _publicKey;
    private readonly Bytes32 _mac1Key;
    private readonly Bytes32 _cookieKey;

    /// <summary>Derives the identity of <paramref name="privateKey"/> (32 octets).</summary>
    public NoiseIdentity(ReadOnlySpan<byte> privateKey)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(privateKey.Length, Curve25519.KeySize);
        privateKey.CopyTo(_privateKey);
        Curve25519.PublicKey(privateKey, _publicKey);
        NoiseLabels.Mac1Key(_publicKey, _mac1Key);
        NoiseLabels.CookieKey(_publicKey, _cookieKey);
    }

    /// <summary>The static private key.</summary>
    internal ReadOnlySpan<byte> PrivateKey => _privateKey;

    /// <summary>The static public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The mac1 key of messages addressed to this side.</summary>
    public ReadOnlySpan<byte> Mac1Key => _mac1Key;

    /// <summary>The key that seals this side's cookie replies.</summary>
    public ReadOnlySpan<byte> CookieKey => _cookieKey;
}

/// <summary>The protocol's constant strings and the initial chaining key and hash (whitepaper §5.4).</summary>
public static class NoiseLabels
{
    /// <summary>The Noise protocol name, hashed into the initial chaining key.</summary>
    public static ReadOnlySpan<byte> Construction => "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"u8;

    /// <summary>The prologue, hashed into the initial hash.</summary>
    public static ReadOnlySpan<byte> Identifier => "WireGuard v1 zx2c4 Jason@zx2c4.com"u8;

    /// <summary>Label of the mac1 key.</summary>
    public static ReadOnlySpan<byte> Mac1 => "mac1----"u8;

    /// <summary>Label of the cookie key.</summary>
    public static ReadOnlySpan<byte> Cookie => "cookie--"u8;

    private static readonly byte[] s_initialChainKey = Initial().ChainKey;
    private static readonly byte[] s_initialHash = Initial().Hash;

    /// <summary>C = Hash(Construction).</summary>
    public static ReadOnlySpan<byte> InitialChainKey => s_initialChainKey;

    /// <summary>H = Hash(C ‖ Identifier).</summary>
    public static ReadOnlySpan<byte> InitialHash => s_initialHash;

    /// <summary>Hash(label ‖ public key) for mac1.</summary>
    public static void Mac1Key(ReadOnlySpan<byte> publicKey, Span<byte> destination) => NoiseHash.Hash(Mac1, publicKey, destination);

    /// <summary>Hash(label ‖ public key) for cookie replies.</summary>
    public static void CookieKey(ReadOnlySpan<byte> publicKey, Span<byte> destination) => NoiseHash.Hash(Cookie, publicKey, destination);

    private static (byte[] ChainKey, byte[] Hash) Initial()
    {
        var chainKey = new byte[NoiseHash.HashSize];
        var hash = new byte[NoiseHash.HashSize];
        NoiseHash.Hash(Construction, default, chainKey);
        NoiseHash.Hash(chainKey, Identifier, hash);
        return (chainKey, hash);
    }
}
