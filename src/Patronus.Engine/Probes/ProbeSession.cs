using System.Net;

namespace Patronus.Engine.Probes;

/// <summary>How a path's targets are probed.</summary>
public enum ProbeProtocol
{
    /// <summary>UDP test packets in the STAMP format (RFC 8762) to a STAMP reflector (default port 862).</summary>
    Stamp,

    /// <summary>ICMP echo (raw socket; needs root or CAP_NET_RAW). Any host answers.</summary>
    Icmp,
}

/// <summary>Where and how to probe one target of a path.</summary>
/// <param name="PathId">The path the target belongs to (for logs and metrics).</param>
/// <param name="TargetIndex">Index of the target within the path.</param>
/// <param name="Remote">Target address; the port is used by STAMP and ignored by ICMP.</param>
/// <param name="SourceAddress">Local address to bind (the link's source address), or null for the kernel's choice.</param>
/// <param name="Interface">Interface to bind with SO_BINDTODEVICE so probes leave through the link, or null.</param>
public sealed record ProbeTarget(string PathId, int TargetIndex, IPEndPoint Remote, IPAddress? SourceAddress, string? Interface)
{
    /// <summary>
    /// <see cref="Remote"/> and <see cref="SourceAddress"/> as they go on the wire: an IPv4-mapped
    /// IPv6 address is IPv4 (probed from the link's IPv4 socket). False with the reason when the
    /// two are of different address families. What every probe factory checks first.
    /// </summary>
    internal bool TryGetWireAddresses(out IPEndPoint remote, out IPAddress? source, out string? failure)
    {
        remote = Remote.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(Remote.Address.MapToIPv4(), Remote.Port) : Remote;
        source = SourceAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : SourceAddress;
        if (source is not null && source.AddressFamily != remote.AddressFamily)
        {
            failure = $"source address {source} and target {remote.Address} are of different address families";
            return false;
        }

        failure = null;
        return true;
    }
}

/// <summary>A reply matched to the probe it answers.</summary>
/// <param name="Sequence">The probe's sequence number.</param>
/// <param name="RoundTrip">Round-trip time on the monotonic clock, less the reflector's hold time where the protocol reports it.</param>
public readonly record struct ProbeReply(uint Sequence, TimeSpan RoundTrip);

/// <summary>
/// One probing session towards one target, on a socket of its link (STAMP and ICMP share one
/// socket and receive loop among the sessions of a link). Replies are matched to their probe
/// (by sequence and, where the protocol has one, identifier) and delivered through the callback
/// given at creation, on the socket's receive loop; the callback must be cheap and must not
/// block (post to a channel). Datagrams that are malformed or match no probe are dropped and
/// counted in <see cref="ProbeMetrics"/>, never thrown.
/// </summary>
public interface IProbeSession : IAsyncDisposable
{
    /// <summary>Sends probe <paramref name="sequence"/> now. False when the kernel refused it (e.g. no route): the caller counts it lost.</summary>
    ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken);

    /// <summary>
    /// Queues probe <paramref name="sequence"/> to leave with the other probes queued on its socket
    /// at the factory's next <see cref="IProbeSessionFactory.FlushSends"/> (STAMP: one sendmmsg
    /// per shared socket, the probe stamped just before it); a protocol that does not batch sends
    /// it now (the default). The outcome is the session's to count and log, as for
    /// <see cref="SendAsync"/>; a refused probe counts as lost at its timeout.
    /// </summary>
    void QueueSend(uint sequence)
    {
        var pending = SendAsync(sequence, CancellationToken.None);
        if (!pending.IsCompleted)
        {
            pending.AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }
}

/// <summary>Creates sessions of one protocol.</summary>
public interface IProbeSessionFactory
{
    ProbeProtocol Protocol { get; }

    /// <summary>
    /// Opens a session (socket bound to the target's source address and interface). Expected
    /// failures — no permission for raw sockets, an address not on this host, an unknown
    /// interface — return false with a <c>failure</c> message that names the cause.
    /// </summary>
    bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure);

    /// <summary>
    /// Reads every reply already queued in the kernel on this factory's sockets, now, on the
    /// caller's thread, delivering each through its session's callback as the receive loop would;
    /// returns how many datagrams were read. The monitor calls it before it declares a probe lost,
    /// so that a receive loop starved of CPU cannot turn a reply that arrived in time into a loss
    /// (with the kernel's receive timestamp, its round trip is also what the wire saw). 0 where
    /// the sockets cannot be read without waiting.
    /// </summary>
    int ReceivePending() => 0;

    /// <summary>
    /// Sends every probe its sessions queued with <see cref="IProbeSession.QueueSend"/> since the
    /// last call; returns how many the kernel took. The monitor calls it once per iteration, after
    /// every due probe is queued. 0 (nothing queued) for a factory whose sessions send at once.
    /// </summary>
    int FlushSends() => 0;
}
