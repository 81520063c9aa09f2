using System.Diagnostics.Metrics;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Tunnel instruments (meter <c>Patronus.Tunnels</c>): transport octets and messages in and out
/// per peer, handshake messages sent and accepted, and drops by reason (tags <c>tunnel</c>, <c>peer</c>,
/// <c>reason</c>; reasons are <see cref="TunnelDropReason"/> in snake case).
/// </summary>
public sealed class TunnelMetrics : IDisposable
{
    public const string MeterName = "Patronus.Tunnels";

    private readonly Meter _meter;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _receivedBytes;
    private readonly Counter<long> _receivedPackets;
    private readonly Counter<long> _sentBytes;
    private readonly Counter<long> _sentPackets;
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _handshakesReceived;

    public TunnelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _dropped = _meter.CreateCounter<long>("patronus.tunnel.dropped_packets", "{packet}", "Datagrams and packets dropped, by reason");
        _receivedBytes = _meter.CreateCounter<long>("patronus.tunnel.received_bytes", "By", "Octets of authenticated transport messages received");
        _receivedPackets = _meter.CreateCounter<long>("patronus.tunnel.received_packets", "{packet}", "Authenticated transport messages received");
        _sentBytes = _meter.CreateCounter<long>("patronus.tunnel.sent_bytes", "By", "Octets of transport messages sent");
        _sentPackets = _meter.CreateCounter<long>("patronus.tunnel.sent_packets", "{packet}", "Transport messages sent");
        _handshakes = _meter.CreateCounter<long>("patronus.tunnel.handshakes_sent", "{message}", "Handshake initiations and responses sent");
        _handshakesReceived = _meter.CreateCounter<long>("patronus.tunnel.handshakes_received", "{message}", "Handshake initiations, responses and cookie replies received and accepted");
    }

    public void Dropped(string tunnel, TunnelDropReason reason) =>
        _dropped.Add(1, new KeyValuePair<string, object?>("tunnel", tunnel), new KeyValuePair<string, object?>("reason", TunnelDropReasons.Label(reason)));

    public void Received(string tunnel, string peer, int bytes)
    {
        var tags = Tags(tunnel, peer);
        _receivedBytes.Add(bytes, tags);
        _receivedPackets.Add(1, tags);
    }

    public void Sent(string tunnel, string peer, int bytes)
    {
        var tags = Tags(tunnel, peer);
        _sentBytes.Add(bytes, tags);
        _sentPackets.Add(1, tags);
    }

    public void HandshakeSent(string tunnel, string peer) => _handshakes.Add(1, Tags(tunnel, peer));

    /// <summary>
    /// A handshake message that authenticated and was used: with the received transport messages
    /// and the drops, every datagram off the wire is counted exactly once.
    /// </summary>
    public void HandshakeReceived(string tunnel, string peer) => _handshakesReceived.Add(1, Tags(tunnel, peer));

    public void Dispose() => _meter.Dispose();

    private static System.Diagnostics.TagList Tags(string tunnel, string peer) => new()
    {
        { "tunnel", tunnel },
        { "peer", peer },
    };
}
