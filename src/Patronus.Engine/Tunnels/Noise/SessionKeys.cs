using NSec.Cryptography;
using ChaCha20Poly1305 = System.Security.Cryptography.ChaCha20Poly1305;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The transport keys of one session (a WireGuard "keypair", whitepaper §5.4.6): a sending key
/// with its nonce counter, a receiving key with its <see cref="ReplayWindow"/>, both indexes, and
/// when the session began (monotonic, for REKEY_AFTER_TIME / REJECT_AFTER_TIME). Sending may run
/// on any thread (the counter is taken atomically; each cipher instance is used by one direction
/// under its own lock); <see cref="TryAcceptCounter"/> belongs to the one receive loop.
/// Messages up to <see cref="ShortMessage"/> octets go through libsodium's ChaCha20-Poly1305
/// (NSec), longer ones through OpenSSL's (System.Security.Cryptography): the same RFC 8439 AEAD,
/// the same octets on the wire. OpenSSL spends more per call than on the cipher for a short
/// message (EVP state, error queue: ~9 % of a 64-octet packet's CPU in perf, bench/tunnel/run.sh
/// with PATRONUS_PERF), libsodium calls the cipher directly; OpenSSL's AVX-512 code is the faster
/// one per octet for full-size packets.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    /// <summary>Longest plaintext sealed or opened with libsodium; a 64-octet UDP packet pads to 96.</summary>
    internal const int ShortMessage = 256;

    private readonly ChaCha20Poly1305 _send;
    private readonly ChaCha20Poly1305 _receive;
    private readonly Key _sendShort;
    private readonly Key _receiveShort;
    private readonly Lock _sendLock = new();
    private readonly Lock _receiveLock = new();
    private readonly ReplayWindow _replay = new();
    private long _nextCounter = -1;
    private bool _disposed;

    internal SessionKeys(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey, uint localIndex, uint remoteIndex, bool isInitiator, long created)
    {
        _send = new ChaCha20Poly1305(sendKey);
        _receive = new ChaCha20Poly1305(receiveKey);
        _sendShort = Key.Import(AeadAlgorithm.ChaCha20Poly1305, sendKey, KeyBlobFormat.RawSymmetricKey);
        _receiveShort = Key.Import(AeadAlgorithm.ChaCha20Poly1305, receiveKey, KeyBlobFormat.RawSymmetricKey);
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        IsInitiator = isInitiator;
        Created = created;
    }

    /// <summary>Our index: the receiver index of transport messages that peer sends us.</summary>
    public uint LocalIndex { get; }

    /// <summary>The peer's index: the receiver index we write on transport messages.</summary>
    public uint RemoteIndex { get; }

    /// <summary>Whether this side initiated the handshake that made the session.</summary>
    public bool IsInitiator { get; }

    /// <summary>Monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the session's start.</summary>
    public long Created { get; }

    /// <summary>Counters handed out for sending so far.</summary>
    public ulong SentMessages => (ulong)(Interlocked.Read(ref _nextCounter) + 1);

    /// <summary>
    /// Takes the next sending counter; false once the session reached REJECT_AFTER_MESSAGES and
    /// must not send any more.
    /// </summary>
    public bool TryNextCounter(out ulong counter)
    {
        counter = (ulong)Interlocked.Increment(ref _nextCounter);
        return counter < ReplayWindow.RejectAfterMessages;
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> under <paramref name="counter"/> into
    /// <paramref name="destination"/> (+16 octets); false once the session was disposed (retired
    /// by another thread meanwhile).
    /// </summary>
    public bool TrySeal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        lock (_sendLock)
        {
            if (_disposed)
            {
                return false;
            }

            if (plaintext.Length <= ShortMessage)
            {
                Span<byte> nonce = stackalloc byte[NoiseAead.NonceSize];
                NoiseAead.WriteNonce(counter, nonce);
                AeadAlgorithm.ChaCha20Poly1305.Encrypt(_sendShort, nonce, default, plaintext, destination[..(plaintext.Length + NoiseAead.TagSize)]);
            }
            else
            {
                NoiseAead.Seal(_send, counter, plaintext, default, destination);
            }

            return true;
        }
    }

    /// <summary>
    /// Opens a transport payload; false when it does not authenticate or the session was
    /// disposed. Does not touch the replay window.
    /// </summary>
    public bool TryOpen(ulong counter, ReadOnlySpan<byte> sealedData, Span<byte> plaintext)
    {
        lock (_receiveLock)
        {
            var length = sealedData.Length - NoiseAead.TagSize;
            if (_disposed || length < 0 || plaintext.Length < length)
            {
                return false;
            }

            if (length > ShortMessage)
            {
                return NoiseAead.TryOpen(_receive, counter, sealedData, default, plaintext);
            }

            Span<byte> nonce = stackalloc byte[NoiseAead.NonceSize];
            NoiseAead.WriteNonce(counter, nonce);
            return AeadAlgorithm.ChaCha20Poly1305.Decrypt(_receiveShort, nonce, default, sealedData, plaintext[..length]);
        }
    }

    /// <summary>Marks an authenticated counter as seen; false when it is a replay or too old.</summary>
    public bool TryAcceptCounter(ulong counter)
    {
        lock (_receiveLock)
        {
            return _replay.TryAccept(counter);
        }
    }

    /// <summary>Disposes both ciphers; a concurrent or later seal or open then fails instead of throwing.</summary>
    public void Dispose()
    {
        lock (_sendLock)
        {
            lock (_receiveLock)
            {
                _disposed = true;
                _send.Dispose();
                _receive.Dispose();
                _sendShort.Dispose();
                _receiveShort.Dispose();
            }
        }
    }
}
