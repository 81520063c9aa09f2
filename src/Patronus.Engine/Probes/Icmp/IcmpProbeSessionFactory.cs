using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// ICMP echo probe sessions (RFC 792, RFC 4443) over raw sockets. Sessions with the same
/// (address family, source address, interface) share one raw socket and one receive loop,
/// owned here: a raw ICMP socket receives a copy of every ICMP packet in the network namespace,
/// so a socket per session would multiply that work by the session count. Each session gets a
/// process-unique 16-bit echo identifier; the loop routes replies by identifier, checks the
/// source is the session's target, and matches the 32-bit sequence carried in the payload.
/// The last session of a socket closes it when disposed.
/// </summary>
/// <remarks>
/// Needs root or CAP_NET_RAW (<see cref="IsAvailable"/>). The Linux unprivileged ping socket
/// (<c>SOCK_DGRAM</c> + <c>IPPROTO_ICMP</c>, allowed by <c>net.ipv4.ping_group_range</c>) is not
/// used as a fallback: the kernel rewrites the echo identifier to the socket's own and delivers
/// each socket only its replies, so it needs a socket per session (the design above inverted),
/// and most hosts ship the range empty ("1 0"), as on the CI host, where it could not be tested.
/// Without CAP_NET_RAW the monitor falls back to STAMP.
/// </remarks>
public sealed class IcmpProbeSessionFactory : IProbeSessionFactory, IAsyncDisposable, IDisposable
{
    /// <summary>The <c>protocol</c> tag of <see cref="ProbeMetrics"/>.</summary>
    internal const string MetricProtocol = "icmp";

    // A privilege check cannot change during the process's life (capabilities are fixed at exec
    // short of capset, which the engine never calls), so it is made once.
    private static readonly Lazy<string?> s_unavailableReason = new(ProbeRawSocket);

    private readonly SharedSocketPool<LocalBinding, IcmpSocket> _sockets = new();
    private readonly TimeProvider _timeProvider;
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Creates the factory; sockets are opened by the first session that needs them.</summary>
    public IcmpProbeSessionFactory(TimeProvider timeProvider, ProbeMetrics metrics, ILogger<IcmpProbeSessionFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
    }

    /// <inheritdoc />
    public ProbeProtocol Protocol => ProbeProtocol.Icmp;

    /// <summary>Shared raw sockets currently open (one per distinct binding in use).</summary>
    internal int OpenSocketCount => _sockets.Count;

    /// <summary>
    /// Whether this process may open raw ICMP sockets; when not, <paramref name="reason"/> says why
    /// (e.g. "ICMP probes need root or CAP_NET_RAW (raw socket: Permission denied)"). Tries once
    /// per process and remembers the answer.
    /// </summary>
    public static bool IsAvailable(out string? reason)
    {
        reason = s_unavailableReason.Value;
        return reason is null;
    }

    /// <inheritdoc />
    public bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(onReply);
        session = null;
        if (!target.TryGetWireAddresses(out var remoteEndPoint, out var source, out failure))
        {
            return false;
        }

        var remote = remoteEndPoint.Address;
        if (remote.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            failure = $"target {remote} is neither IPv4 nor IPv6";
            return false;
        }

        if (target.Interface is not null && !OperatingSystem.IsLinux())
        {
            failure = $"binding to interface {target.Interface} needs Linux (SO_BINDTODEVICE)";
            return false;
        }

        if (!IcmpIdentifiers.TryAllocate(out var identifier))
        {
            failure = "no free ICMP echo identifier (65536 sessions open)";
            return false;
        }

        IcmpProbeSession? created = null;
        bool acquired;
        try
        {
            acquired = _sockets.TryAcquire(LocalBinding.Icmp(remote.AddressFamily, source, target.Interface), Join, Open, out _, out failure);
        }
        catch
        {
            IcmpIdentifiers.Release(identifier);
            throw;
        }

        if (!acquired)
        {
            IcmpIdentifiers.Release(identifier);
            return false;
        }

        Log.SessionOpened(_logger, target.PathId, target.TargetIndex, remote, created!.Identifier);
        session = created;
        return true;

        bool Join(IcmpSocket socket)
        {
            created = new IcmpProbeSession(this, socket, identifier, target, remote, onReply);
            socket.Add(created);
            return true;
        }
    }

    /// <inheritdoc />
    public int ReceivePending() => SharedProbeSocket.ReceivePending(_sockets);

    /// <summary>Closes every shared socket; sessions still open throw <see cref="ObjectDisposedException"/> from <c>SendAsync</c> from then on.</summary>
    public void Dispose() => _sockets.Dispose();

    /// <summary>Closes every shared socket and waits for the receive loops to end (no reply is delivered after this).</summary>
    public ValueTask DisposeAsync() => _sockets.DisposeAsync();

    internal ValueTask ReleaseAsync(IcmpProbeSession session) => _sockets.ReleaseAsync(session.Socket, socket =>
    {
        socket.Remove(session.Identifier);
        IcmpIdentifiers.Release(session.Identifier);
    });

    private IcmpSocket? Open(LocalBinding binding, int index, out string? failure)
    {
        var socket = IcmpSocket.TryOpen(binding, _timeProvider, _metrics, _logger, out failure);
        if (socket is not null)
        {
            Log.SocketOpened(_logger, binding);
        }

        return socket;
    }

    private static string? ProbeRawSocket()
    {
        if (!IcmpSocket.TryCreateRawSocket(AddressFamily.InterNetwork, out var socket, out var failure))
        {
            return failure;
        }

        socket.Dispose();
        return null;
    }
}
