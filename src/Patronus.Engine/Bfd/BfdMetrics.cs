using System.Diagnostics.Metrics;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// BFD instruments (meter <c>Patronus.Bfd</c>): packets in and out, drops by reason, state
/// changes, send failures. Per-session values (state, negotiated intervals, detection time) are
/// read from <see cref="BfdService.Sessions"/>, which the exporters turn into gauges.
/// </summary>
public sealed class BfdMetrics : IDisposable
{
    public const string MeterName = "Patronus.Bfd";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _sendFailed;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _stateChanges;

    public BfdMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _received = _meter.CreateCounter<long>("patronus.bfd.packets_received", "{packet}", "Control packets accepted by a session");
        _sent = _meter.CreateCounter<long>("patronus.bfd.packets_sent", "{packet}", "Control packets sent");
        _sendFailed = _meter.CreateCounter<long>("patronus.bfd.send_failed", "{packet}", "Control packets the kernel refused to send");
        _dropped = _meter.CreateCounter<long>("patronus.bfd.packets_dropped", "{packet}", "Received datagrams discarded, by reason (RFC 5880 §6.8.6, TTL, queue)");
        _stateChanges = _meter.CreateCounter<long>("patronus.bfd.state_changes", "{change}", "Session state changes, by new state");
    }

    /// <summary>
    /// Per-session gauges read from the service's views at collection time (tag <c>path_id</c>):
    /// state (0 admin_down, 1 down, 2 init, 3 up — the wire's values), the negotiated transmit
    /// interval and the detection time in milliseconds, and whether the session is down because the
    /// peer is administratively down (1/0).
    /// </summary>
    public void Observe(Func<IReadOnlyDictionary<string, BfdSessionView>> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _meter.CreateObservableGauge("patronus.bfd.session.state", () => Each(sessions(), v => (int)v.SessionState), "{state}",
            "Session state: 0 admin_down, 1 down, 2 init, 3 up");
        _meter.CreateObservableGauge("patronus.bfd.session.transmit_interval", () => Each(sessions(), v => (v.State?.TransmitInterval ?? 0) / 1000.0), "ms",
            "Negotiated transmit interval");
        _meter.CreateObservableGauge("patronus.bfd.session.detection_time", () => Each(sessions(), v => (v.State?.DetectionTime ?? 0) / 1000.0), "ms",
            "Detection time (remote DetectMult × max(local RequiredMinRx, remote DesiredMinTx))");
        _meter.CreateObservableGauge("patronus.bfd.session.peer_admin_down", () => Each(sessions(), v => v.PeerAdminDown ? 1 : 0), "{session}",
            "1 while the session is Down because the peer is administratively down (no opinion on the path, RFC 5882 §3.2)");
    }

    private static IEnumerable<Measurement<T>> Each<T>(IReadOnlyDictionary<string, BfdSessionView> sessions, Func<BfdSessionView, T> value)
        where T : struct =>
        sessions.Values.Select(v => new Measurement<T>(value(v), new KeyValuePair<string, object?>("path_id", v.PathId)));

    public void Received() => _received.Add(1);

    public void Sent() => _sent.Add(1);

    public void SendFailed() => _sendFailed.Add(1);

    /// <summary>A dropped datagram; <paramref name="reason"/> is a snake_case word (version_mismatch, auth_failed, ttl, …).</summary>
    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void StateChanged(BfdState to) => _stateChanges.Add(1, new KeyValuePair<string, object?>("state", BfdNames.State(to)));

    public void Dispose() => _meter.Dispose();
}
