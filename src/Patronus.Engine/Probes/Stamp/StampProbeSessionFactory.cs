using System.Net;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// Opens STAMP Session-Sender sessions (RFC 8762 §4.2, unauthenticated) to
/// <see cref="ProbeTarget.Remote"/> (which carries the port; 862 by default is the caller's
/// choice). Sessions of one link — same address family, source address and interface
/// (SO_BINDTODEVICE) — share an unconnected UDP socket and its one receive loop
/// (<see cref="StampSocket"/>), which routes replies by their source address and port and, among
/// sessions to the same reflector, by a slot each session carries in the high 12 bits of its
/// sequence numbers, which the reflector echoes (<see cref="StampSlotTable"/>). A session takes
/// the lowest free slot for its reflector on the first socket of the link's pool that has one; only
/// past 4,096 sessions to one reflector does the link open another socket. A disposed session's
/// slot is free for the next. The last session of a socket closes it when disposed.
/// </summary>
/// <remarks>
/// A socket per session cost 902 KB of managed memory per 100 paths in the probe benchmark
/// (docs/performance.md); routing by source alone still needed a socket per session to the same
/// reflector (353 KB per 100 paths with every path of a link probing one reflector). 10,000 paths
/// over 4 links now use 4 sockets whether they probe distinct reflectors or one.
/// </remarks>
public sealed class StampProbeSessionFactory : IProbeSessionFactory, IAsyncDisposable, IDisposable
{
    /// <summary>The <c>protocol</c> tag of <see cref="ProbeMetrics"/>.</summary>
    internal const string MetricProtocol = "stamp";

    // Per link, the sockets in opening order; a session takes the first one with a free slot for its reflector.
    private readonly SharedSocketPool<LocalBinding, StampSocket> _sockets = new();
    private readonly TimeProvider _timeProvider;

    // Sockets with probes queued since the last FlushSends, each once; swapped with the spare list
    // by the flush so that neither allocates. Registering takes this lock after the socket's own
    // is released, the flush takes it before a socket's: never both in opposite orders.
    private readonly Lock _queuedGate = new();
    private List<StampSocket> _queued = [];
    private List<StampSocket> _flushing = [];
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Creates the factory; sockets are opened by the first session that needs them.</summary>
    public StampProbeSessionFactory(TimeProvider timeProvider, ProbeMetrics metrics, ILogger<StampProbeSessionFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
    }

    /// <inheritdoc />
    public ProbeProtocol Protocol => ProbeProtocol.Stamp;

    /// <summary>Shared sockets currently open, over all links.</summary>
    internal int OpenSocketCount => _sockets.Count;

    /// <inheritdoc />
    public bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(onReply);
        session = null;
        if (!target.TryGetWireAddresses(out var remote, out var source, out failure))
        {
            return false;
        }

        if (!StampPeer.TryFrom(remote, out var peer))
        {
            failure = $"target {remote} is neither IPv4 nor IPv6";
            return false;
        }

        StampProbeSession? created = null;
        if (!_sockets.TryAcquire(LocalBinding.Udp(remote.AddressFamily, source, target.Interface), Join, Open, out _, out failure))
        {
            return false;
        }

        session = created!;
        return true;

        bool Join(StampSocket socket)
        {
            if (!socket.TryFindSlot(peer, out var slot))
            {
                return false;
            }

            created = new StampProbeSession(socket, peer, slot, target, remote, onReply);
            socket.Add(created);
            return true;
        }
    }

    /// <inheritdoc />
    public int ReceivePending() => SharedProbeSocket.ReceivePending(_sockets);

    /// <inheritdoc />
    /// <remarks>One sendmmsg per socket that has probes queued (<see cref="StampSocket.FlushSends"/>).</remarks>
    public int FlushSends()
    {
        List<StampSocket> flushing;
        lock (_queuedGate)
        {
            if (_queued.Count == 0)
            {
                return 0;
            }

            flushing = _queued;
            _queued = _flushing;
            _flushing = flushing;
        }

        var sent = 0;
        foreach (var socket in flushing)
        {
            sent += socket.FlushSends();
        }

        flushing.Clear();
        return sent;
    }

    /// <summary>A socket queued its first probe since its last flush: the next <see cref="FlushSends"/> sends it.</summary>
    internal void SendsQueued(StampSocket socket)
    {
        lock (_queuedGate)
        {
            _queued.Add(socket);
        }
    }

    /// <summary>Closes every shared socket; sessions still open send nothing (false) from then on.</summary>
    public void Dispose() => _sockets.Dispose();

    /// <summary>Closes every shared socket and waits for the receive loops to end (no reply is delivered after this).</summary>
    public ValueTask DisposeAsync() => _sockets.DisposeAsync();

    internal ValueTask ReleaseAsync(StampProbeSession session) => _sockets.ReleaseAsync(session.Socket, socket => socket.Remove(session));

    private StampSocket? Open(LocalBinding binding, int index, out string? failure)
    {
        var socket = StampSocket.TryOpen(this, binding, _timeProvider, _metrics, _logger, out failure);
        if (socket is not null)
        {
            Log.SocketOpened(_logger, binding, (IPEndPoint)socket.Socket.LocalEndPoint!, socket.ReceiveBufferBytes, index);
        }

        return socket;
    }
}
