using ChaCha20Poly1305 = System.Security.Cryptography.ChaCha20Poly1305;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The transport keys of one session (a WireGuard "keypair", whitepaper §5.4.6): a sending key
/// with its nonce counter, a receiving key with its <see cref="ReplayWindow"/>, both indexes, and
/// when the session began (monotonic, for REKEY_AFTER_TIME / REJECT_AFTER_TIME). Sending may run
/// on any thread (the counter is taken atomically; each cipher instance is used by one direction
/// under its own lock); <see cref="TryAcceptCounter"/> belongs to the one receive loop.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    private readonly ChaCha20Poly1305 _send;
    private readonly ChaCha20Poly1305 _receive;
    private readonly Lock _sendLock = new();
    private readonly Lock _receiveLock = new();
    private readonly ReplayWindow _replay = new();
    private long _nextCounter = -1;
    private bool _disposed;

    internal SessionKeys(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey, uint localIndex, uint remoteIndex, bool isInitiator, long created)
    {
        _send = new ChaCha20Poly1305(sendKey);
        _receive = new ChaCha20Poly1305(receiveKey);
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

            NoiseAead.Seal(_send, counter, plaintext, default, destination);
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
            return !_disposed && NoiseAead.TryOpen(_receive, counter, sealedData, default, plaintext);
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
            }
        }
    }
}
