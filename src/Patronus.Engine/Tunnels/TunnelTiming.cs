namespace Patronus.Engine.Tunnels;

/// <summary>
/// WireGuard's protocol constants (whitepaper §6.1, wireguard-go <c>constants.go</c>). All of
/// them run on the monotonic clock.
/// </summary>
public static class TunnelTiming
{
    /// <summary>REKEY_AFTER_TIME: the initiator of a session starts a new handshake when sending on a session this old.</summary>
    public static readonly TimeSpan RekeyAfterTime = TimeSpan.FromSeconds(120);

    /// <summary>REJECT_AFTER_TIME: a session this old neither sends nor receives.</summary>
    public static readonly TimeSpan RejectAfterTime = TimeSpan.FromSeconds(180);

    /// <summary>REKEY_ATTEMPT_TIME: how long handshake initiations are retried before the queued packets are dropped.</summary>
    public static readonly TimeSpan RekeyAttemptTime = TimeSpan.FromSeconds(90);

    /// <summary>REKEY_TIMEOUT: the wait for a response before an initiation is sent again (plus up to 1/3 s jitter).</summary>
    public static readonly TimeSpan RekeyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the random jitter added to <see cref="RekeyTimeout"/> (wireguard-go: 1/3 s).</summary>
    public static readonly TimeSpan RekeyTimeoutJitter = TimeSpan.FromMilliseconds(333);

    /// <summary>KEEPALIVE_TIMEOUT: after receiving data and sending nothing for this long, send a keepalive.</summary>
    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After sending data and receiving nothing for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s),
    /// start a new handshake: the peer's keepalive should have arrived by then.
    /// </summary>
    public static readonly TimeSpan NewHandshakeTimeout = KeepaliveTimeout + RekeyTimeout;

    /// <summary>
    /// The initiator starts a new handshake on receiving over a session this old
    /// (REJECT_AFTER_TIME − KEEPALIVE_TIMEOUT − REKEY_TIMEOUT = 165 s), before the session expires.
    /// </summary>
    public static readonly TimeSpan RekeyOnReceiveTime = RejectAfterTime - KeepaliveTimeout - RekeyTimeout;

    /// <summary>REKEY_AFTER_MESSAGES: the initiator rekeys after sending this many messages on a session.</summary>
    public const ulong RekeyAfterMessages = 1UL << 60;

    /// <summary>Packets queued per peer while a handshake is in progress (wireguard-go QueueStagedSize).</summary>
    public const int StagedPackets = 128;

    /// <summary>
    /// Handshake messages (with a valid mac1) per second above which the device is under load and
    /// answers handshakes without a valid mac2 with a cookie reply (whitepaper §5.3). wireguard-go
    /// judges load by its handshake queue (1024 deep, under load at 1/8 full); this device has no
    /// queue, so it counts: 128 a second is far above any real peer set's rekeying (one handshake
    /// per peer every two minutes) and far below what a flood sends.
    /// </summary>
    public const int UnderLoadHandshakesPerSecond = 128;

    /// <summary>How long the device stays under load after the rate fell (wireguard-go UnderLoadAfterTime).</summary>
    public static readonly TimeSpan UnderLoadAfterTime = TimeSpan.FromSeconds(1);

    /// <summary>How often <see cref="TunnelDevice.Tick"/> runs: the resolution of every timer above.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);
}
