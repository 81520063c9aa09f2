using System.Security.Cryptography;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The sender's side of WireGuard's MACs for one peer (whitepaper §5.4.4, §5.4.7): writes mac1
/// (keyed by the peer's public key) on every handshake message to it, and mac2 (keyed by the
/// last cookie the peer sent us) while that cookie is younger than
/// <see cref="CookieChecker.CookieRefreshTime"/>; opens the peer's cookie replies.
/// </summary>
public sealed class CookieGenerator
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Bytes32 _mac1Key;
    private readonly Bytes32 _cookieKey;
    private Bytes16 _lastMac1;
    private bool _hasLastMac1;
    private Bytes16 _cookie;
    private long _cookieSet;
    private bool _hasCookie;

    /// <summary>MACs for messages to the peer whose static public key is <paramref name="remoteStatic"/>.</summary>
    public CookieGenerator(ReadOnlySpan<byte> remoteStatic, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        NoiseLabels.Mac1Key(remoteStatic, _mac1Key);
        NoiseLabels.CookieKey(remoteStatic, _cookieKey);
    }

    /// <summary>
    /// Writes mac1 at <paramref name="mac1Offset"/> and mac2 (or zeros) at
    /// <paramref name="mac2Offset"/> of an encoded handshake message.
    /// </summary>
    public void AddMacs(Span<byte> message, int mac1Offset, int mac2Offset)
    {
        var mac1 = message.Slice(mac1Offset, NoiseHash.MacSize);
        var mac2 = message.Slice(mac2Offset, NoiseHash.MacSize);
        NoiseHash.Mac(_mac1Key, message[..mac1Offset], mac1);
        lock (_lock)
        {
            mac1.CopyTo(_lastMac1);
            _hasLastMac1 = true;
            if (_hasCookie && _time.GetElapsedTime(_cookieSet) < CookieChecker.CookieRefreshTime)
            {
                NoiseHash.Mac(_cookie, message[..mac2Offset], mac2);
            }
            else
            {
                mac2.Clear();
            }
        }
    }

    /// <summary>
    /// Opens a cookie reply to the last message we MACed and keeps its cookie for mac2; false
    /// when we sent nothing yet or the reply does not authenticate.
    /// </summary>
    public bool TryConsumeReply(in CookieReply reply)
    {
        var nonce = reply.Nonce;
        var sealedCookie = reply.EncryptedCookie;
        Span<byte> cookie = stackalloc byte[NoiseHash.MacSize];
        lock (_lock)
        {
            if (!_hasLastMac1 || !NoiseAead.TryExtendedOpen(_cookieKey, nonce, sealedCookie, _lastMac1, cookie))
            {
                return false;
            }

            cookie.CopyTo(_cookie);
            _cookieSet = _time.GetTimestamp();
            _hasCookie = true;
        }

        CryptographicOperations.ZeroMemory(cookie);
        return true;
    }
}
