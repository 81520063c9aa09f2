using System.Diagnostics.Metrics;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Tunnel instruments (meter <c>Patronus.Tunnels</c>): transport octets and messages in and out
/// per peer, handshake messages sent and accepted, and drops by reason (tags <c>tunnel</c>, <c>peer</c>,
/// <c>reason</c>; reasons are <see cref="TunnelDropReason"/> in snake case). The transport
/// counters are observed at collection from the running device's peers (<see cref="Observe"/>),
/// which count every message anyway: a tagged counter add per packet cost the data path two
/// tag-set lookups per message, about 5 % of a 64-octet packet's CPU (perf, bench/tunnel/run.sh).
/// </summary>
public sealed class TunnelMetrics : IDisposable
{
    public const string MeterName = "Patronus.Tunnels";

    private readonly Meter _meter;
    private readonly Counter<long> _dropped;
    private volatile TunnelDevice? _device;
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _handshakesReceived;

    public TunnelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _dropped = _meter.CreateCounter<long>("patronus.tunnel.dropped_packets", "{packet}", "Datagrams and packets dropped, by reason");
        _meter.CreateObservableCounter("patronus.tunnel.received_bytes", () => Measure(p => p.ReceivedBytes), "By", "Octets of authenticated transport messages received");
        _meter.CreateObservableCounter("patronus.tunnel.received_packets", () => Measure(p => p.ReceivedPackets), "{packet}", "Authenticated transport messages received");
        _meter.CreateObservableCounter("patronus.tunnel.sent_bytes", () => Measure(p => p.SentBytes), "By", "Octets of transport messages sent");
        _meter.CreateObservableCounter("patronus.tunnel.sent_packets", () => Measure(p => p.SentPackets), "{packet}", "Transport messages sent");
        _handshakes = _meter.CreateCounter<long>("patronus.tunnel.handshakes_sent", "{message}", "Handshake initiations and responses sent");
        _handshakesReceived = _meter.CreateCounter<long>("patronus.tunnel.handshakes_received", "{message}", "Handshake initiations, responses and cookie replies received and accepted");
    }

    public void Dropped(string tunnel, TunnelDropReason reason) =>
        _dropped.Add(1, new KeyValuePair<string, object?>("tunnel", tunnel), new KeyValuePair<string, object?>("reason", TunnelDropReasons.Label(reason)));

    /// <summary>The device whose peers' transport counters the instruments report; null while none runs.</summary>
    public void Observe(TunnelDevice? device) => _device = device;

    public void HandshakeSent(string tunnel, string peer) => _handshakes.Add(1, Tags(tunnel, peer));

    /// <summary>
    /// A handshake message that authenticated and was used: with the received transport messages
    /// and the drops, every datagram off the wire is counted exactly once.
    /// </summary>
    public void HandshakeReceived(string tunnel, string peer) => _handshakesReceived.Add(1, Tags(tunnel, peer));

    public void Dispose() => _meter.Dispose();

    private List<Measurement<long>> Measure(Func<TunnelPeer, long> value)
    {
        var measurements = new List<Measurement<long>>();
        if (_device is { } device)
        {
            foreach (var peer in device.Peers)
            {
                measurements.Add(new Measurement<long>(value(peer), Tags(device.Name, peer.Name)));
            }
        }

        return measurements;
    }

    private static System.Diagnostics.TagList Tags(string tunnel, string peer) => new()
    {
        { "tunnel", tunnel },
        { "peer", peer },
    };
}
