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
    IReadOnlyDictionary<TunnelDropReason, long> Drops);

/// <summary>One of a peer's per-path endpoints.</summary>
/// <param name="PathId">The path.</param>
/// <param name="Endpoint">The peer's address on it.</param>
/// <param name="InTopology">False when the topology has no such path (deleted since the start): not used.</param>
/// <param name="Traffic">Transport traffic on the path.</param>
public sealed record TunnelPathSnapshot(string PathId, IPEndPoint Endpoint, bool InTopology, TunnelPathTraffic Traffic);

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
