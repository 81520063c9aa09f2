namespace Patronus.Engine.Tunnels.Noise;

/// <summary>The outcome of consuming a handshake message; every value but <see cref="Ok"/> drops it.</summary>
public enum HandshakeResult
{
    /// <summary>Consumed: the handshake state moved on.</summary>
    Ok = 0,

    /// <summary>A Diffie-Hellman result was all zero (a low-order public key).</summary>
    BadKey,

    /// <summary>An AEAD field did not authenticate.</summary>
    DecryptFailed,

    /// <summary>The initiation's static key names no configured peer.</summary>
    UnknownPeer,

    /// <summary>The initiation's timestamp is not later than the last accepted one (a replay).</summary>
    StaleTimestamp,

    /// <summary>An initiation from this peer was consumed less than 1/50 s ago (flood protection).</summary>
    TooFrequent,

    /// <summary>The message does not fit the handshake's state (no initiation outstanding, wrong index).</summary>
    UnexpectedState,
}
