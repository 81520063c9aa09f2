using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// What a tunnel keeps for a peer configured as Patronus (<c>Patronus: true</c>): the sending
/// side's per-path sequences, compressor and echoes to return, and the receiving side's passive
/// estimator per peer path and round-trip estimator per own path. Guarded by the peer's lock
/// (every send and every authenticated receive of the peer holds it); arrays of 256 indexed by
/// path id, estimators made on a path's first message, so nothing is allocated per packet.
/// </summary>
public sealed class PatronusPeerState
{
    /// <summary>
    /// At most one echo per peer in this time: 10 ms. Holding a timestamp costs nothing (the hold is
    /// subtracted), while an echo makes the header 8 octets longer, and a datagram of another size
    /// ends a UDP GSO run; at 10 ms a bulk stream breaks one run in about every 14 (a run is up to
    /// 64 datagrams, 0.7 ms at 1 Gb/s) and a 20 ms voice stream echoes on every packet.
    /// </summary>
    public static readonly TimeSpan EchoInterval = TimeSpan.FromMilliseconds(10);

    private readonly TimeProvider _time;
    private readonly long _echoIntervalTicks;
    private readonly uint[] _sendSequences = new uint[256];
    private readonly PathReceiveEstimator?[] _receive = new PathReceiveEstimator?[256];
    private readonly string?[] _arrivalPaths = new string?[256];
    private readonly RttEstimator?[] _rtt = new RttEstimator?[256];
    private long _lastEcho;
    private bool _echoed;
    private object? _sendSession;
    private uint _packetSequence;

    // The receiving side's duplicate filters: one per session, the current and the one before
    // (copies still in flight across a rekey); the counts of filters replaced since are kept.
    private (object? Session, DuplicateFilter? Filter) _filterA;
    private (object? Session, DuplicateFilter? Filter) _filterB;
    private long _retiredDuplicates;
    private long _retiredTooOld;

    /// <summary>State for a peer with compression <paramref name="compression"/>.</summary>
    public PatronusPeerState(CompressionMode compression, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _echoIntervalTicks = (long)(EchoInterval.TotalSeconds * time.TimestampFrequency);
        Mode = compression;
        Compressor = new TunnelCompressor(compression, time);
        Echoes = new EchoBook(time);
    }

    /// <summary>The configured compression.</summary>
    public CompressionMode Mode { get; }

    /// <summary>The peer's LZ4 (sending side counts; receiving side decompresses).</summary>
    public TunnelCompressor Compressor { get; }

    /// <summary>The peer's timestamps waiting to be echoed.</summary>
    public EchoBook Echoes { get; }

    /// <summary>Data messages received and accepted.</summary>
    public long DataMessagesReceived { get; private set; }

    /// <summary>Plain IP packets received from the peer (it sends WireGuard's plain message: not configured as Patronus on its side, or older).</summary>
    public long PlainPacketsReceived { get; private set; }

    /// <summary>Packets sent duplicated (each counted once, for its two copies).</summary>
    public long DuplicatedPackets { get; private set; }

    /// <summary>Later copies of duplicated packets received and dropped (<c>duplicates_dropped</c>).</summary>
    public long DuplicatesDropped => _retiredDuplicates + (_filterA.Filter?.DuplicatesDropped ?? 0) + (_filterB.Filter?.DuplicatesDropped ?? 0);

    /// <summary>Copies of duplicated packets dropped as too old to tell whether their twin came.</summary>
    public long DuplicatesTooOld => _retiredTooOld + (_filterA.Filter?.TooOld ?? 0) + (_filterB.Filter?.TooOld ?? 0);

    /// <summary>Whether the first plain packet was logged already (one line per peer).</summary>
    internal bool PlainLogged { get; set; }

    /// <summary>The next sequence number on our path <paramref name="pathId"/> (from 1, wrapping).</summary>
    public uint NextSequence(byte pathId) => unchecked(++_sendSequences[pathId]);

    /// <summary>
    /// The packet sequence of the next duplicated packet sent on <paramref name="session"/> (the
    /// session's keys): from 1 on each new session, so the receiver's filter of that session
    /// starts clean; counts the packet as duplicated.
    /// </summary>
    public uint NextPacketSequence(object session)
    {
        if (!ReferenceEquals(session, _sendSession))
        {
            _sendSession = session;
            _packetSequence = 0;
        }

        DuplicatedPackets++;
        return unchecked(++_packetSequence);
    }

    /// <summary>
    /// Whether a received copy of a duplicated packet (its <paramref name="packetSequence"/>, on
    /// <paramref name="session"/>) is the first: deliver it; false: a later copy or too old, dropped
    /// and counted. One filter per session (a new one on a session's first copy: per session, not per packet).
    /// </summary>
    public bool AcceptCopy(object session, uint packetSequence)
    {
        if (ReferenceEquals(_filterA.Session, session))
        {
            return _filterA.Filter!.TryAccept(packetSequence);
        }

        if (ReferenceEquals(_filterB.Session, session))
        {
            return _filterB.Filter!.TryAccept(packetSequence);
        }

        // A new session: it replaces the older of the two (B), whose counts are kept.
        if (_filterB.Filter is { } retired)
        {
            _retiredDuplicates += retired.DuplicatesDropped;
            _retiredTooOld += retired.TooOld;
        }

        _filterB = _filterA;
        _filterA = (session, new DuplicateFilter());
        return _filterA.Filter.TryAccept(packetSequence);
    }

    /// <summary>An echo for a message sent at <paramref name="now"/>, at most one per <see cref="EchoInterval"/>; false when none is due.</summary>
    public bool TryTakeEcho(long now, out PendingEcho echo)
    {
        echo = default;
        if (_echoed && now - _lastEcho < _echoIntervalTicks)
        {
            return false;
        }

        if (!Echoes.TryTake(now, out echo))
        {
            return false;
        }

        _echoed = true;
        _lastEcho = now;
        return true;
    }

    /// <summary>
    /// Takes an accepted data message that arrived at <paramref name="now"/> through our path
    /// <paramref name="arrivalPathId"/> (null: not through a path's link): its path's passive
    /// measurement, its timestamp for our next echo, and its echo (our round trip on the echoed path).
    /// </summary>
    public void OnDataMessage(in PatronusDataHeader header, string? arrivalPathId, long now)
    {
        DataMessagesReceived++;
        var estimator = _receive[header.PathId] ??= new PathReceiveEstimator(_time);
        estimator.OnPacket(header.PathSequence, header.SendTimestamp, now);
        if (arrivalPathId is not null)
        {
            _arrivalPaths[header.PathId] = arrivalPathId;
        }

        Echoes.Record(header.PathId, header.SendTimestamp, now);
        if ((header.Flags & PatronusDataFeatures.Echo) != 0)
        {
            (_rtt[header.EchoPathId] ??= new RttEstimator()).OnEcho(header.EchoTimestamp, header.EchoHold, MicrosecondClock.From(now, _time.TimestampFrequency));
        }
    }

    /// <summary>Counts a plain IP packet from the peer; true the first time (to log once).</summary>
    public bool OnPlainPacket()
    {
        PlainPacketsReceived++;
        return PlainPacketsReceived == 1;
    }

    /// <summary>
    /// The passive measurement of the peer's stream that last arrived through our path
    /// <paramref name="pathId"/>, at <paramref name="now"/>; null when none did.
    /// </summary>
    public PassiveMeasurement? ReceivedThrough(string pathId, long now)
    {
        for (var i = 0; i < _arrivalPaths.Length; i++)
        {
            if (_receive[i] is { } estimator && string.Equals(_arrivalPaths[i], pathId, StringComparison.Ordinal))
            {
                return estimator.Measure(now);
            }
        }

        return null;
    }

    /// <summary>
    /// Adds to <paramref name="sums"/>, by our path each stream arrives through, the loss counts
    /// of the streams' newest <see cref="PathReceiveEstimator.MeasureRecent"/> spans at
    /// <paramref name="now"/> (what path health weighs). Streams not arriving through a path are left out.
    /// </summary>
    public void AddRecentLoss(Dictionary<string, (long Expected, long Received)> sums, long now, long minExpected)
    {
        ArgumentNullException.ThrowIfNull(sums);
        for (var i = 0; i < _receive.Length; i++)
        {
            if (_receive[i] is { } estimator && _arrivalPaths[i] is { } pathId)
            {
                var (expected, received) = estimator.MeasureRecent(now, minExpected);
                var sum = sums.GetValueOrDefault(pathId);
                sums[pathId] = (sum.Expected + expected, sum.Received + received);
            }
        }
    }

    /// <summary>Every peer path's passive measurement at <paramref name="now"/>, by the peer's path id.</summary>
    public IReadOnlyList<(byte PeerPathId, string? ArrivalPathId, PassiveMeasurement Measurement)> Streams(long now)
    {
        var list = new List<(byte, string?, PassiveMeasurement)>();
        for (var i = 0; i < _receive.Length; i++)
        {
            if (_receive[i] is { } estimator)
            {
                list.Add(((byte)i, _arrivalPaths[i], estimator.Measure(now)));
            }
        }

        return list;
    }

    /// <summary>The round-trip estimator of our path <paramref name="pathId"/> (the id we send with), or null before its first echo.</summary>
    public RttEstimator? Rtt(byte pathId) => _rtt[pathId];
}
