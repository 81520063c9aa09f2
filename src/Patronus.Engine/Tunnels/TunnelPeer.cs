using System.Net;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// One peer of a <see cref="TunnelDevice"/>: its handshake, MACs, sessions (current, previous,
/// and the responder's next session that becomes current on the first packet received on it),
/// endpoint, the packets queued while a handshake runs, its timers and its counters. Every field
/// is guarded by <see cref="Lock"/>; the device takes it per packet (a peer's packets are
/// handled in order anyway).
/// </summary>
public sealed class TunnelPeer
{
    private readonly TimeProvider _time;
    private TunnelSteering? _steering;

    internal TunnelPeer(
        string name, NoiseIdentity local, byte[] publicKey, byte[] presharedKey, IPEndPoint? endpoint,
        IReadOnlyList<KeyValuePair<string, IPEndPoint>> pathEndpoints, TimeSpan persistentKeepalive, TimeProvider time)
    {
        Name = name;
        PublicKey = publicKey;
        Handshake = new NoiseHandshake(local, publicKey, presharedKey, time);
        Cookies = new CookieGenerator(publicKey, time);
        Endpoint = endpoint is null ? null : new TunnelEndpoint(endpoint);
        PathEndpoints = pathEndpoints;
        PersistentKeepalive = persistentKeepalive;
        _time = time;
    }

    /// <summary>The name of the peer in logs and metrics.</summary>
    public string Name { get; }

    /// <summary>The peer's static public key.</summary>
    public byte[] PublicKey { get; }

    internal Lock Lock { get; } = new();

    internal NoiseHandshake Handshake { get; }

    internal CookieGenerator Cookies { get; }

    /// <summary>The plain endpoint: configured, or where the peer was last heard from (roaming).</summary>
    internal TunnelEndpoint? Endpoint { get; set; }

    /// <summary>The peer's endpoint per WAN path from the configuration, in its order (empty: a plain endpoint).</summary>
    public IReadOnlyList<KeyValuePair<string, IPEndPoint>> PathEndpoints { get; }

    /// <summary>
    /// Where datagrams go per destination while the peer has per-path endpoints; swapped whole by
    /// the tunnel service when the topology, health or failover decision changes. Null: <see cref="Endpoint"/>.
    /// </summary>
    public TunnelSteering? Steering
    {
        get => Volatile.Read(ref _steering);
        internal set => Volatile.Write(ref _steering, value);
    }

    /// <summary>Where the last authenticated datagram came from, or null.</summary>
    internal TunnelEndpoint? LastSource { get; set; }

    /// <summary>The path the last transport message left on, or null.</summary>
    internal string? LastPathId { get; set; }

    internal TimeSpan PersistentKeepalive { get; }

    /// <summary>The Patronus data message's state, for a peer configured as Patronus; null: plain WireGuard.</summary>
    internal PatronusPeerState? Patronus { get; init; }

    /// <summary>Per-class counters, active path and duplication (issue 16); null when no traffic class is configured.</summary>
    internal PeerClassState? Classes { get; init; }

    /// <summary>Whether a data message from this (non-Patronus) peer was logged already (one line per peer).</summary>
    internal bool MismatchLogged { get; set; }

    internal SessionKeys? Current { get; set; }

    internal SessionKeys? Previous { get; set; }

    internal SessionKeys? Next { get; set; }

    internal Queue<byte[]> Staged { get; } = new();

    // Handshake retransmission: in flight since (monotonic), next retry at.
    internal bool HandshakeInFlight { get; set; }

    internal long HandshakeAttemptStarted { get; set; }

    internal long HandshakeRetryAt { get; set; }

    internal uint HandshakeIndex { get; set; }

    // Keepalive after received data (0 = not armed), new handshake after sent data unanswered.
    internal long KeepaliveDue { get; set; }

    internal long NewHandshakeDue { get; set; }

    internal long LastSent { get; set; }

    internal long LastReceived { get; set; }

    internal bool RekeyOnReceiveStarted { get; set; }

    /// <summary>Wall-clock time of the last completed handshake, null before the first.</summary>
    public DateTimeOffset? LastHandshake { get; internal set; }

    /// <summary>Octets received in authenticated transport messages (WireGuard's rx_bytes: whole datagrams).</summary>
    public long ReceivedBytes { get; internal set; }

    /// <summary>Octets sent in transport messages.</summary>
    public long SentBytes { get; internal set; }

    /// <summary>Authenticated transport messages received (keepalives included).</summary>
    public long ReceivedPackets { get; internal set; }

    /// <summary>Transport messages sent (keepalives included).</summary>
    public long SentPackets { get; internal set; }

    /// <summary>Times the path of the peer's transport messages changed.</summary>
    public long PathSwitches { get; internal set; }

    /// <summary>Drops attributed to this peer, by <see cref="TunnelDropReason"/> (read with <see cref="Interlocked.Read(ref readonly long)"/>).</summary>
    internal long[] Drops { get; } = new long[TunnelDropReasons.Count];

    /// <summary>Transport traffic per path (guarded by <see cref="Lock"/>).</summary>
    internal Dictionary<string, TunnelPathTraffic> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>The endpoint the peer's packets go to by default: its steering's, or the one last heard from or configured.</summary>
    public IPEndPoint? CurrentEndpoint
    {
        get
        {
            lock (Lock)
            {
                return (Steering?.Default ?? Endpoint)?.Address;
            }
        }
    }

    /// <summary>A consistent copy of the peer's state for the API and metrics.</summary>
    public TunnelPeerSnapshot Snapshot()
    {
        lock (Lock)
        {
            var steering = Steering;
            var now = _time.GetTimestamp();
            var paths = PathEndpoints.Select((p, i) => new TunnelPathSnapshot(
                p.Key,
                p.Value,
                steering?.Endpoints.ContainsKey(p.Key) ?? false,
                Paths.TryGetValue(p.Key, out var t) ? t with { } : new TunnelPathTraffic())
            {
                Passive = Patronus is { } state ? Passive(state, p.Key, (byte)Math.Min(i + 1, byte.MaxValue), now) : null,
            }).ToList();
            var drops = new Dictionary<TunnelDropReason, long>();
            for (var i = 0; i < Drops.Length; i++)
            {
                if (Interlocked.Read(ref Drops[i]) is > 0 and var n)
                {
                    drops[(TunnelDropReason)i] = n;
                }
            }

            return new TunnelPeerSnapshot(
                Name, Convert.ToBase64String(PublicKey), (steering?.Default ?? Endpoint)?.Address, steering?.Default?.PathId, LastPathId,
                LastSource?.Address, LastHandshake, ReceivedBytes, ReceivedPackets, SentBytes, SentPackets, PathSwitches, paths, drops)
            {
                Patronus = Patronus is not null,
                Compression = Patronus is { } p ? Compression(p) : null,
                DataMessagesReceived = Patronus?.DataMessagesReceived ?? 0,
                PlainPacketsReceived = Patronus?.PlainPacketsReceived ?? 0,
                DuplicatedPackets = Patronus?.DuplicatedPackets ?? 0,
                DuplicatesDropped = Patronus?.DuplicatesDropped ?? 0,
                DuplicatesTooOld = Patronus?.DuplicatesTooOld ?? 0,
                Classes = Classes is { } classes ? ClassSnapshots(classes, steering) : [],
            };
        }
    }

    /// <summary>Each class's active path, duplication and traffic per path (the plain endpoint's slot only when it carried some). Caller holds the lock.</summary>
    private List<TunnelClassSnapshot> ClassSnapshots(PeerClassState classes, TunnelSteering? steering)
    {
        var list = new List<TunnelClassSnapshot>(classes.Classes.Count);
        foreach (var trafficClass in classes.Classes)
        {
            var paths = new List<TunnelClassPathSnapshot>(PathEndpoints.Count + 1);
            for (var n = 0; n <= PathEndpoints.Count && n < byte.MaxValue; n++)
            {
                var (sentBytes, sentPackets, receivedBytes, receivedPackets) = classes.Traffic(trafficClass.Index, (byte)n);
                if (n > 0 || sentPackets + receivedPackets > 0)
                {
                    paths.Add(new TunnelClassPathSnapshot(n == 0 ? null : PathEndpoints[n - 1].Key, sentBytes, sentPackets, receivedBytes, receivedPackets));
                }
            }

            var last = classes.LastPath(trafficClass.Index);
            var active = last is > 0 and var number && number <= PathEndpoints.Count ? PathEndpoints[number - 1].Key : null;
            list.Add(new TunnelClassSnapshot(
                trafficClass.Name, active, steering?.PreferredPathOf(trafficClass.Index), Sdwan.TrafficClassRules.DuplicationName(trafficClass.Duplication),
                trafficClass.Duplication == DuplicationMode.Always || classes.Duplicating(trafficClass.Index), paths, classes.Flows(trafficClass.Index)));
        }

        return list;
    }

    /// <summary>
    /// Adds this peer's recent passive loss counts per arrival path to <paramref name="sums"/>
    /// (nothing for a WireGuard peer), under the peer's lock: what <see cref="Sdwan.TunnelPassiveFeed"/> publishes.
    /// </summary>
    internal void AddRecentLoss(Dictionary<string, (long Expected, long Received)> sums, long minExpected)
    {
        lock (Lock)
        {
            Patronus?.AddRecentLoss(sums, _time.GetTimestamp(), minExpected);
        }
    }

    private static TunnelPassiveSnapshot? Passive(PatronusPeerState state, string pathId, byte number, long now)
    {
        var received = state.ReceivedThrough(pathId, now);
        var rtt = state.Rtt(number);
        return received is null && rtt is null ? null : new TunnelPassiveSnapshot(
            received?.Received ?? 0, received?.Expected ?? 0, received?.LossPercent, received?.ReorderedPercent, received?.JitterMs,
            rtt?.SmoothedMs, rtt?.Samples ?? 0);
    }

    private static TunnelCompressionSnapshot Compression(PatronusPeerState state)
    {
        var c = state.Compressor.Counters;
        return new TunnelCompressionSnapshot(
            state.Mode == CompressionMode.Off ? "off" : "auto", c.BytesBefore, c.BytesAfter, c.PacketsCompressed, c.PacketsIncompressible, c.PacketsNotTried, c.Ratio);
    }

    /// <summary>
    /// The data message's id of our path <paramref name="pathId"/>: its position in
    /// <see cref="PathEndpoints"/> from 1; 0 for a plain endpoint or beyond 255 (no allocation:
    /// a peer has a handful of paths).
    /// </summary>
    internal byte PathNumber(string? pathId)
    {
        if (pathId is null)
        {
            return 0;
        }

        for (var i = 0; i < PathEndpoints.Count && i < byte.MaxValue; i++)
        {
            if (string.Equals(PathEndpoints[i].Key, pathId, StringComparison.Ordinal))
            {
                return (byte)(i + 1);
            }
        }

        return 0;
    }

    internal TunnelPathTraffic PathTraffic(string pathId)
    {
        if (!Paths.TryGetValue(pathId, out var traffic))
        {
            Paths[pathId] = traffic = new TunnelPathTraffic();
        }

        return traffic;
    }

    internal void ClearSessions()
    {
        Current?.Dispose();
        Previous?.Dispose();
        Next?.Dispose();
        Current = Previous = Next = null;
    }
}
