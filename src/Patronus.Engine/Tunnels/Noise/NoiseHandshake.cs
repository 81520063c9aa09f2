using System.Security.Cryptography;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The Noise_IKpsk2 handshake with one peer (WireGuard whitepaper §5.4.2–§5.4.5), as initiator or
/// responder: it builds and consumes messages 1 and 2 (without mac1/mac2, which
/// <see cref="CookieGenerator"/> and <see cref="CookieChecker"/> add and check) and derives the
/// transport keys. All state changes happen under one lock, and only after a message fully
/// authenticated; handshakes are rare, so a lock is no hot-path cost.
/// </summary>
public sealed partial class NoiseHandshake
{
    /// <summary>Minimum spacing of consumed initiations from one peer (INITIATIONS_PER_SECOND = 50).</summary>
    public static readonly TimeSpan InitiationRate = TimeSpan.FromSeconds(1.0 / 50);

    private readonly Lock _lock = new();
    private readonly NoiseIdentity _local;
    private readonly TimeProvider _time;
    private readonly Bytes32 _remoteStatic;
    private readonly Bytes32 _presharedKey;
    private readonly Bytes32 _staticStatic;
    private readonly bool _staticStaticValid;

    private HandshakeStage _stage;
    private Bytes32 _hash;
    private Bytes32 _chainKey;
    private Bytes32 _localEphemeral;
    private Bytes32 _remoteEphemeral;
    private uint _localIndex;
    private uint _remoteIndex;
    private Bytes12 _lastTimestamp;
    private long _lastInitiationConsumed;
    private bool _anyInitiationConsumed;

    /// <summary>
    /// The handshake of <paramref name="local"/> with the peer whose static public key is
    /// <paramref name="remoteStatic"/>; <paramref name="presharedKey"/> is 32 octets or empty (all zero).
    /// </summary>
    public NoiseHandshake(NoiseIdentity local, ReadOnlySpan<byte> remoteStatic, ReadOnlySpan<byte> presharedKey, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNotEqual(remoteStatic.Length, Curve25519.KeySize);
        if (!presharedKey.IsEmpty)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(presharedKey.Length, NoiseAead.KeySize);
            presharedKey.CopyTo(_presharedKey);
        }

        _local = local;
        _time = time;
        remoteStatic.CopyTo(_remoteStatic);

        // DH(S_priv_i, S_pub_r) does not change: computed once per peer (wireguard-go precomputedStaticStatic).
        _staticStaticValid = Curve25519.TryAgree(local.PrivateKey, remoteStatic, _staticStatic);
    }

    /// <summary>The peer's static public key.</summary>
    public ReadOnlySpan<byte> RemoteStatic => _remoteStatic;

    /// <summary>Where the handshake stands.</summary>
    public HandshakeStage Stage
    {
        get
        {
            lock (_lock)
            {
                return _stage;
            }
        }
    }

    /// <summary>This side's index of the handshake in progress.</summary>
    public uint LocalIndex
    {
        get
        {
            lock (_lock)
            {
                return _localIndex;
            }
        }
    }

    /// <summary>Forgets the handshake in progress (ephemeral key, chaining key, hash).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            ClearLocked();
        }
    }

    private void ClearLocked()
    {
        ((Span<byte>)_hash).Clear();
        ((Span<byte>)_chainKey).Clear();
        ((Span<byte>)_localEphemeral).Clear();
        ((Span<byte>)_remoteEphemeral).Clear();
        _localIndex = 0;
        _remoteIndex = 0;
        _stage = HandshakeStage.None;
    }

    /// <summary>
    /// Derives the transport keys from a completed handshake (T_send, T_recv = Kdf2(C, ε), swapped
    /// for the responder) and clears the handshake state; false when the handshake is not at
    /// <see cref="HandshakeStage.ResponseConsumed"/> (initiator) or <see cref="HandshakeStage.ResponseCreated"/> (responder).
    /// </summary>
    public bool TryBeginSession([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SessionKeys? keys)
    {
        keys = null;
        Span<byte> derived = stackalloc byte[2 * NoiseHash.HashSize];
        lock (_lock)
        {
            bool isInitiator;
            if (_stage == HandshakeStage.ResponseConsumed)
            {
                isInitiator = true;
            }
            else if (_stage == HandshakeStage.ResponseCreated)
            {
                isInitiator = false;
            }
            else
            {
                return false;
            }

            NoiseHash.Kdf(_chainKey, default, 2, derived);
            var first = derived[..NoiseHash.HashSize];
            var second = derived[NoiseHash.HashSize..];
            keys = isInitiator
                ? new SessionKeys(first, second, _localIndex, _remoteIndex, isInitiator, _time.GetTimestamp())
                : new SessionKeys(second, first, _localIndex, _remoteIndex, isInitiator, _time.GetTimestamp());
            ClearLocked();
        }

        CryptographicOperations.ZeroMemory(derived);
        return true;
    }
}

/// <summary>Where a <see cref="NoiseHandshake"/> stands.</summary>
public enum HandshakeStage
{
    /// <summary>No handshake in progress.</summary>
    None = 0,

    /// <summary>Initiator: message 1 sent, waiting for message 2.</summary>
    InitiationCreated,

    /// <summary>Responder: message 1 accepted, message 2 not built yet.</summary>
    InitiationConsumed,

    /// <summary>Responder: message 2 built; keys can be derived.</summary>
    ResponseCreated,

    /// <summary>Initiator: message 2 accepted; keys can be derived.</summary>
    ResponseConsumed,
}
