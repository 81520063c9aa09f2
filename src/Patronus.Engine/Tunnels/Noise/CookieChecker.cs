using System.Security.Cryptography;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The responder's side of WireGuard's DoS cookies (whitepaper §5.3, §5.4.7): checks mac1 on
/// every handshake message addressed to us, checks mac2 against the cookie of the sender's
/// address when under load, and builds cookie replies. The cookie is Mac(secret, address), the
/// secret is random and replaced every <see cref="CookieRefreshTime"/> (monotonic clock).
/// </summary>
public sealed class CookieChecker
{
    /// <summary>How long a cookie secret (and a received cookie) is used: COOKIE_REFRESH_TIME, 120 s.</summary>
    public static readonly TimeSpan CookieRefreshTime = TimeSpan.FromSeconds(120);

    private readonly NoiseIdentity _local;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Bytes32 _secret;
    private long _secretSet;
    private bool _hasSecret;

    /// <summary>Checks messages addressed to <paramref name="local"/>.</summary>
    public CookieChecker(NoiseIdentity local, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(time);
        _local = local;
        _time = time;
    }

    /// <summary>Whether the 16 octets at <paramref name="mac1Offset"/> are Mac(mac1 key, message before them).</summary>
    public bool CheckMac1(ReadOnlySpan<byte> message, int mac1Offset)
    {
        if (message.Length < mac1Offset + NoiseHash.MacSize)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[NoiseHash.MacSize];
        NoiseHash.Mac(_local.Mac1Key, message[..mac1Offset], mac);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(mac1Offset, NoiseHash.MacSize));
    }

    /// <summary>
    /// Whether the 16 octets at <paramref name="mac2Offset"/> are Mac(cookie of
    /// <paramref name="source"/>, message before them).
    /// </summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, int mac2Offset, ReadOnlySpan<byte> source)
    {
        if (message.Length < mac2Offset + NoiseHash.MacSize)
        {
            return false;
        }

        Span<byte> cookie = stackalloc byte[NoiseHash.MacSize];
        Span<byte> mac = stackalloc byte[NoiseHash.MacSize];
        Cookie(source, cookie);
        NoiseHash.Mac(cookie, message[..mac2Offset], mac);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(mac2Offset, NoiseHash.MacSize));
    }

    /// <summary>
    /// The cookie reply to <paramref name="message"/> (a handshake message whose mac1 sits at
    /// <paramref name="mac1Offset"/> and whose sender index is <paramref name="receiverIndex"/>)
    /// from <paramref name="source"/>: the cookie sealed with XChaCha20-Poly1305 under our cookie
    /// key, a random nonce, and the message's mac1 as associated data.
    /// </summary>
    public CookieReply CreateReply(ReadOnlySpan<byte> message, int mac1Offset, uint receiverIndex, ReadOnlySpan<byte> source)
    {
        Span<byte> cookie = stackalloc byte[NoiseHash.MacSize];
        Cookie(source, cookie);
        Bytes24 nonce = default;
        Bytes32 sealedCookie = default;
        RandomNumberGenerator.Fill(nonce);
        NoiseAead.ExtendedSeal(_local.CookieKey, nonce, cookie, message.Slice(mac1Offset, NoiseHash.MacSize), sealedCookie);
        return new CookieReply(receiverIndex, nonce, sealedCookie);
    }

    private void Cookie(ReadOnlySpan<byte> source, Span<byte> cookie)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (!_hasSecret || _time.GetElapsedTime(_secretSet, now) >= CookieRefreshTime)
            {
                RandomNumberGenerator.Fill(_secret);
                _secretSet = now;
                _hasSecret = true;
            }

            NoiseHash.Mac(_secret, source, cookie);
        }
    }
}
