using System.Net;

namespace Patronus.Engine.Tunnels;

/// <summary>A peer's state as the API and the metrics show it: no key but the public one.</summary>
/// <param name="Name">The peer's name.</param>
/// <param name="PublicKey">Its public key (base64).</param>
/// <param name="Endpoint">Where packets no policy steers go now, or null.</param>
/// <param name="ActivePathId">The path of <paramref name="Endpoint"/>, or null (a plain endpoint).</param>
/// <param name="LastPathId">The path the last transport message left on, or null.</param>
/// <param name="LastSource">Where the last authenticated datagram came from, or null.</param>
/// <param name="LastHandshake">When the last handshake completed (wall clock), or null.</param>
/// <param name="ReceivedBytes">Octets of authenticated transport messages received.</param>
/// <param name="ReceivedPackets">Authenticated transport messages received.</param>
/// <param name="SentBytes">Octets of transport messages sent.</param>
/// <param name="SentPackets">Transport messages sent.</param>
/// <param name="PathSwitches">Times the path of the transport messages changed.</param>
/// <param name="Paths">The configured endpoint per path, with its traffic.</param>
/// <param name="Drops">Drops attributed to the peer, by reason (reasons with none left out).</param>
public sealed record TunnelPeerSnapshot(
    string Name,
    string PublicKey,
    IPEndPoint? Endpoint,
    string? ActivePathId,
    string? LastPathId,
    IPEndPoint? LastSource,
    DateTimeOffset? LastHandshake,
    long ReceivedBytes,
    long ReceivedPackets,
    long SentBytes,
    long SentPackets,
    long PathSwitches,
    IReadOnlyList<TunnelPathSnapshot> Paths,
    IReadOnlyDictionary<TunnelDropReason, long> Drops)
{
    /// <summary>Whether the peer is configured as Patronus (data messages both ways).</summary>
    public bool Patronus { get; init; }

    /// <summary>What LZ4 did to the packets sent to a Patronus peer; null for a WireGuard peer.</summary>
    public TunnelCompressionSnapshot? Compression { get; init; }

    /// <summary>Patronus data messages received and accepted from the peer.</summary>
    public long DataMessagesReceived { get; init; }

    /// <summary>Plain IP packets received from a peer configured as Patronus (its side sends plain WireGuard).</summary>
    public long PlainPacketsReceived { get; init; }

    /// <summary>Packets sent to a Patronus peer on two paths (a class that duplicates); each counted once.</summary>
    public long DuplicatedPackets { get; init; }

    /// <summary>Later copies of the peer's duplicated packets dropped on arrival (the first was delivered).</summary>
    public long DuplicatesDropped { get; init; }

    /// <summary>Copies of the peer's duplicated packets dropped as too old to tell whether their twin came.</summary>
    public long DuplicatesTooOld { get; init; }

    /// <summary>Per traffic class: its active path, duplication and traffic per path (empty when no class is configured).</summary>
    public IReadOnlyList<TunnelClassSnapshot> Classes { get; init; } = [];
}

/// <summary>One traffic class's view of a peer (issue 16).</summary>
/// <param name="Class">The class name (<c>default</c>: packets no class matches).</param>
/// <param name="ActivePathId">The path the class's last packet to the peer left on (its active path), or null before its first.</param>
/// <param name="PreferredPathId">The class's preferred path meeting its SLA now (where its packets go when no class policy covers them), or null.</param>
/// <param name="Duplication">The class's mode: off, always or on-sla-breach.</param>
/// <param name="DuplicationActive">Whether its packets are sent on two paths now.</param>
/// <param name="Paths">Its traffic per path; a null path id is the plain endpoint.</param>
/// <param name="Flows">Distinct 5-tuples of its packets sent to the peer (a bounded recent-set: see <see cref="Sdwan.PeerClassState.CountFlow"/>).</param>
public sealed record TunnelClassSnapshot(
    string Class, string? ActivePathId, string? PreferredPathId, string Duplication, bool DuplicationActive, IReadOnlyList<TunnelClassPathSnapshot> Paths, long Flows);

/// <summary>A class's traffic with a peer on one path: octets of the IP packets (before LZ4 and the tunnel's headers) and packets.</summary>
/// <param name="PathId">The path, or null for the plain endpoint.</param>
/// <param name="SentBytes">Octets of the class's packets sent on the path (a duplicated packet counts on both of its paths).</param>
/// <param name="SentPackets">The class's packets sent on the path.</param>
/// <param name="ReceivedBytes">Octets of the class's packets received through the path's link and delivered.</param>
/// <param name="ReceivedPackets">The class's packets received through the path's link and delivered.</param>
public sealed record TunnelClassPathSnapshot(string? PathId, long SentBytes, long SentPackets, long ReceivedBytes, long ReceivedPackets);

/// <summary>LZ4 of one Patronus peer, as measured: every packet offered is compressed, incompressible or not tried.</summary>
/// <param name="Mode">auto or off.</param>
/// <param name="BytesBefore">Octets of the packets offered.</param>
/// <param name="BytesAfter">Octets of the payloads sent for them.</param>
/// <param name="PacketsCompressed">Packets sent compressed.</param>
/// <param name="PacketsIncompressible">Packets tried that did not shrink.</param>
/// <param name="PacketsNotTried">Packets not tried (off, small, backed off).</param>
/// <param name="Ratio">Bytes before / bytes after (1.0 before any packet).</param>
public sealed record TunnelCompressionSnapshot(
    string Mode, long BytesBefore, long BytesAfter, long PacketsCompressed, long PacketsIncompressible, long PacketsNotTried, double Ratio);

/// <summary>
/// Passive measurement of a path from a Patronus peer's real traffic: loss, reordering and jitter
/// of the peer's stream that arrives through the path's link (10 s window), and the round trip
/// of our messages on the path from the peer's echoes.
/// </summary>
/// <param name="Received">Messages received in the window.</param>
/// <param name="Expected">Messages the peer's sequence says were sent in the window.</param>
/// <param name="LossPercent">Loss in the window, null with no message in it.</param>
/// <param name="ReorderedPercent">Reordered messages in percent of received, null with none received.</param>
/// <param name="JitterMs">Interarrival jitter (RFC 3550), null before two messages.</param>
/// <param name="RttMs">Smoothed round trip from echoes, null before the first.</param>
/// <param name="RttSamples">Echoes taken.</param>
public sealed record TunnelPassiveSnapshot(
    long Received, long Expected, double? LossPercent, double? ReorderedPercent, double? JitterMs, double? RttMs, long RttSamples);

/// <summary>One of a peer's per-path endpoints.</summary>
/// <param name="PathId">The path.</param>
/// <param name="Endpoint">The peer's address on it.</param>
/// <param name="InTopology">False when the topology has no such path (deleted since the start): not used.</param>
/// <param name="Traffic">Transport traffic on the path.</param>
public sealed record TunnelPathSnapshot(string PathId, IPEndPoint Endpoint, bool InTopology, TunnelPathTraffic Traffic)
{
    /// <summary>Passive measurement of the path (Patronus peers only), null for a WireGuard peer.</summary>
    public TunnelPassiveSnapshot? Passive { get; init; }
}

/// <summary>Transport traffic of a peer on one path (mutated under the peer's lock; snapshots copy it).</summary>
public sealed record TunnelPathTraffic
{
    /// <summary>Octets sent on the path.</summary>
    public long SentBytes { get; internal set; }

    /// <summary>Messages sent on the path.</summary>
    public long SentPackets { get; internal set; }

    /// <summary>Octets received through the path's link.</summary>
    public long ReceivedBytes { get; internal set; }

    /// <summary>Messages received through the path's link.</summary>
    public long ReceivedPackets { get; internal set; }
}
