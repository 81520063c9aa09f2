using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Sdwan;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// The WireGuard protocol of one tunnel interface, apart from its I/O: packets from the TUN
/// device in (<see cref="OnTunPacket"/>), datagrams from the UDP socket in
/// (<see cref="OnDatagram(ReadOnlySpan{byte}, TunnelEndpoint)"/>), timers (<see cref="Tick"/>), and everything out through an
/// <see cref="ITunnelTransport"/>. Cryptokey routing picks the peer of an outbound packet and
/// checks the source of an inbound one. Every datagram is validated (length, type, mac1, AEAD,
/// replay window) before it changes any state; a dropped one is counted by reason.
/// </summary>
public sealed partial class TunnelDevice : IDisposable
{
    private readonly NoiseIdentity _identity;
    private readonly CookieChecker _cookieChecker;
    private readonly ITunnelTransport _transport;
    private readonly TimeProvider _time;
    private readonly TunnelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PrefixTrie<TunnelPeer> _routes = new();
    private readonly Dictionary<string, TunnelPeer> _peersByKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<uint, IndexEntry> _indexes = new();
    private readonly int _mtu;
    private readonly long[] _drops = new long[TunnelDropReasons.Count];
    private readonly TrafficClassifier? _classifier;
    private readonly bool _duplicating;

    // Some class is configured (not only "default"): every packet to or from a peer is
    // classified (~25 ns, no allocation) for its class's steering and counters.
    private readonly bool _classified;

    /// <summary>
    /// A device for <paramref name="peers"/> with this node's <paramref name="identity"/>; with
    /// <paramref name="classes"/>, packets to Patronus peers of a class that duplicates go on two paths.
    /// </summary>
    public TunnelDevice(
        string name,
        NoiseIdentity identity,
        IReadOnlyList<TunnelPeerOptions> peers,
        int mtu,
        ITunnelTransport transport,
        TimeProvider time,
        TunnelMetrics metrics,
        ILogger logger,
        TrafficClassifier? classes = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(peers);
        Name = name;
        PublicKey = Convert.ToBase64String(identity.PublicKey);
        _identity = identity;
        _cookieChecker = new CookieChecker(identity, time);
        _transport = transport;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _mtu = mtu;
        _classifier = classes;
        _duplicating = classes?.Classes.Any(c => c.Duplication != DuplicationMode.Off) ?? false;
        _classified = classes is { Classes.Count: > 1 };
        var list = new List<TunnelPeer>();
        foreach (var options in peers)
        {
            var publicKey = new byte[TunnelKeys.KeySize];
            var psk = new byte[TunnelKeys.KeySize];
            if (!TunnelKeys.TryDecode(options.PublicKey, publicKey)
                || (options.PresharedKey is not null && !TunnelKeys.TryDecode(options.PresharedKey, psk)))
            {
                throw new ArgumentException("invalid peer key: validate TunnelOptions first", nameof(peers));
            }

            var endpoint = TunnelOptionsValidator.TryParseEndpoint(options.Endpoint, out var parsed) ? parsed : null;
            var pathEndpoints = new List<KeyValuePair<string, System.Net.IPEndPoint>>();
            foreach (var (pathId, text) in options.Endpoints)
            {
                if (TunnelOptionsValidator.TryParseEndpoint(text, out var pathEndpoint))
                {
                    pathEndpoints.Add(new(pathId, pathEndpoint!));
                }
            }

            var peer = new TunnelPeer(
                options.Name ?? options.PublicKey[..8], identity, publicKey, psk, endpoint, pathEndpoints,
                TimeSpan.FromSeconds(options.PersistentKeepalive), time)
            {
                Patronus = options.Patronus
                    ? new PatronusPeerState(TunnelPeerOptions.TryParseCompression(options.Compression, out var mode) ? mode : CompressionMode.Auto, time)
                    : null,
                Classes = _classified ? new PeerClassState(classes!.Classes, pathEndpoints.Count) : null,
            };
            CryptographicOperations.ZeroMemory(psk);
            _peersByKey[Convert.ToBase64String(publicKey)] = peer;
            foreach (var allowed in options.AllowedIps)
            {
                if (IpPrefix.TryParse(allowed, out var prefix, out _))
                {
                    _routes.Add(prefix, peer);
                }
            }

            list.Add(peer);
        }

        Peers = list;
    }

    /// <summary>The interface name: the <c>tunnel</c> label of the metrics.</summary>
    public string Name { get; }

    /// <summary>This node's public key (base64).</summary>
    public string PublicKey { get; }

    /// <summary>The peers, in configuration order.</summary>
    public IReadOnlyList<TunnelPeer> Peers { get; }

    /// <summary>Every drop of the device by reason, the peers' included (reasons with none left out).</summary>
    public IReadOnlyDictionary<TunnelDropReason, long> Drops()
    {
        var drops = new Dictionary<TunnelDropReason, long>();
        for (var i = 0; i < _drops.Length; i++)
        {
            if (Interlocked.Read(ref _drops[i]) is > 0 and var n)
            {
                drops[(TunnelDropReason)i] = n;
            }
        }

        return drops;
    }

    /// <summary>Forgets every session (keys are disposed).</summary>
    public void Dispose()
    {
        foreach (var peer in Peers)
        {
            lock (peer.Lock)
            {
                peer.ClearSessions();
                peer.Handshake.Clear();
            }
        }

        _indexes.Clear();
    }

    // A receiver index names either a handshake in progress (Keys null) or a session.
    private sealed record IndexEntry(TunnelPeer Peer, SessionKeys? Keys);

    private uint NewIndex(TunnelPeer peer, SessionKeys? keys)
    {
        while (true)
        {
            var index = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
            if (_indexes.TryAdd(index, new IndexEntry(peer, keys)))
            {
                return index;
            }
        }
    }

    private void Retire(SessionKeys? keys)
    {
        if (keys is not null)
        {
            _indexes.TryRemove(keys.LocalIndex, out _);
            keys.Dispose();
        }
    }

    /// <summary>
    /// Sends a handshake initiation to the peer (caller holds the peer's lock): a new sender
    /// index, a fresh TAI64N timestamp, mac1 and (with a fresh cookie) mac2; arms the retry.
    /// </summary>
    private void SendInitiationLocked(TunnelPeer peer, bool isRetry)
    {
        var now = _time.GetTimestamp();
        if (DefaultEndpoint(peer) is not { } endpoint)
        {
            return;
        }

        if (!isRetry && peer.HandshakeInFlight)
        {
            return;
        }

        if (!peer.HandshakeInFlight)
        {
            peer.HandshakeInFlight = true;
            peer.HandshakeAttemptStarted = now;
        }

        if (peer.HandshakeIndex != 0)
        {
            _indexes.TryRemove(peer.HandshakeIndex, out _);
        }

        peer.HandshakeIndex = NewIndex(peer, keys: null);
        Span<byte> stamp = stackalloc byte[Tai64N.Size];
        Tai64N.Write(_time.GetUtcNow(), stamp);
        var jitter = TimeSpan.FromTicks(RandomNumberGenerator.GetInt32((int)TunnelTiming.RekeyTimeoutJitter.Ticks));
        peer.HandshakeRetryAt = now + ToTimestampTicks(TunnelTiming.RekeyTimeout + jitter);
        if (!peer.Handshake.TryCreateInitiation(peer.HandshakeIndex, stamp, out var message))
        {
            LogHandshakeFailed(_logger, Name, peer.Name);
            return;
        }

        Span<byte> bytes = stackalloc byte[HandshakeInitiation.Size];
        message.TryWrite(bytes, out _);
        peer.Cookies.AddMacs(bytes, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        _transport.SendDatagram(bytes, endpoint);
        _metrics.HandshakeSent(Name, peer.Name);
        LogInitiationSent(_logger, Name, peer.Name, endpoint, isRetry);
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Where a peer's handshakes and keepalives go: its steering's default path, else its plain endpoint.</summary>
    private static TunnelEndpoint? DefaultEndpoint(TunnelPeer peer) => peer.Steering?.Default ?? peer.Endpoint;

    /// <summary>Counts a TUN read the transport could not make a packet of (a virtio header that does not fit it).</summary>
    internal void DropTunPacket() => Drop(TunnelDropReason.BadInnerPacket);

    /// <summary>Counts decrypted packets the TUN device refused when the transport wrote them later, joined (no peer: a joined write may hold several).</summary>
    internal void DropTunWrites(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Drop(TunnelDropReason.TunWriteFailed);
        }
    }

    /// <summary>Counts a datagram the transport could not hand over (an unreadable source, longer than 64 KiB).</summary>
    internal void DropDatagram() => Drop(TunnelDropReason.Malformed);

    private void Drop(TunnelDropReason reason, TunnelPeer? peer = null)
    {
        Interlocked.Increment(ref _drops[(int)reason]);
        if (peer is not null)
        {
            Interlocked.Increment(ref peer.Drops[(int)reason]);
        }

        _metrics.Dropped(Name, reason);
        LogDropped(_logger, Name, peer?.Name ?? "-", reason);
    }
}
