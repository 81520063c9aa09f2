namespace Patronus.Engine.Tunnels;

/// <summary>Why a datagram off the wire, or a packet from the TUN device, was dropped; one metric label value each.</summary>
public enum TunnelDropReason
{
    /// <summary>Not a WireGuard message: unknown type, nonzero reserved octets, wrong length.</summary>
    Malformed,

    /// <summary>A handshake message whose mac1 is not ours.</summary>
    BadMac1,

    /// <summary>An initiation from a static key that is no configured peer.</summary>
    UnknownPeer,

    /// <summary>A handshake field or a transport payload did not authenticate.</summary>
    DecryptFailed,

    /// <summary>A replayed initiation (timestamp not newer) or one within 1/50 s of the last.</summary>
    HandshakeReplay,

    /// <summary>A handshake message that fits no handshake in progress, or a low-order key.</summary>
    HandshakeRejected,

    /// <summary>A response, cookie reply or transport message whose receiver index is not ours.</summary>
    UnknownIndex,

    /// <summary>A transport counter seen before or older than the replay window.</summary>
    Replay,

    /// <summary>A transport message for a session past REJECT_AFTER_TIME.</summary>
    Expired,

    /// <summary>A decrypted packet that is no IPv4/IPv6 packet or whose length field disagrees.</summary>
    BadInnerPacket,

    /// <summary>A decrypted packet whose source address the peer is not allowed (cryptokey routing).</summary>
    SourceNotAllowed,

    /// <summary>A cookie reply that does not open.</summary>
    BadCookie,

    /// <summary>Under load, a handshake message without a valid mac2: answered with a cookie reply instead.</summary>
    CookieRequired,

    /// <summary>Outbound: no peer's allowed prefixes contain the destination.</summary>
    NoRoute,

    /// <summary>Outbound: the peer has no endpoint yet.</summary>
    NoEndpoint,

    /// <summary>Outbound: packets queued for a handshake that gave up, or beyond the queue.</summary>
    HandshakeTimeout,

    /// <summary>Inbound: a decrypted packet the TUN device did not take (write failed, e.g. the interface is down).</summary>
    TunWriteFailed,

    /// <summary>
    /// Inbound: a Patronus data message from a peer not configured as Patronus (<c>Patronus: true</c>
    /// on its side only): dropped, never delivered as a packet.
    /// </summary>
    PatronusNotConfigured,

    /// <summary>Inbound: a Patronus data message from a Patronus peer whose header breaks the layout, or whose LZ4 block does not decompress to its original size.</summary>
    BadDataMessage,
}

/// <summary>The reasons as metric label values (snake case), by <see cref="TunnelDropReason"/>.</summary>
public static class TunnelDropReasons
{
    private static readonly string[] s_labels = Enum.GetValues<TunnelDropReason>().Select(SnakeCase).ToArray();

    /// <summary>How many reasons there are.</summary>
    public static int Count => s_labels.Length;

    /// <summary>The label value of <paramref name="reason"/>, e.g. <c>unknown_peer</c>.</summary>
    public static string Label(TunnelDropReason reason) => s_labels[(int)reason];

    private static string SnakeCase(TunnelDropReason reason) =>
        string.Concat(reason.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
