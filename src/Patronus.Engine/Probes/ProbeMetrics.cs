using System.Diagnostics.Metrics;

namespace Patronus.Engine.Probes;

/// <summary>
/// Probe and reflector instruments (meter <c>Patronus.Probes</c>). Tags: <c>protocol</c>
/// (stamp, icmp, reflector) and, for drops, <c>reason</c>.
/// </summary>
public sealed class ProbeMetrics : IDisposable
{
    public const string MeterName = "Patronus.Probes";

    private readonly Meter _meter;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _sendFailed;
    private readonly Counter<long> _sendCalls;
    private readonly Counter<long> _replies;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _reflected;

    public ProbeMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _sent = _meter.CreateCounter<long>("patronus.probe.sent", "{probe}", "Probes sent");
        _sendFailed = _meter.CreateCounter<long>("patronus.probe.send_failed", "{probe}", "Probes the kernel refused to send");
        _sendCalls = _meter.CreateCounter<long>("patronus.probe.send_calls", "{call}", "System calls that sent probes or reflector replies (sendmmsg takes a batch: sent / send_calls is the mean batch)");
        _replies = _meter.CreateCounter<long>("patronus.probe.replies", "{reply}", "Replies matched to a probe");
        _dropped = _meter.CreateCounter<long>("patronus.probe.dropped", "{datagram}", "Received datagrams dropped (malformed, unmatched, wrong source)");
        _reflected = _meter.CreateCounter<long>("patronus.reflector.reflected", "{packet}", "STAMP test packets reflected");
    }

    public void Sent(string protocol) => _sent.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    public void SendFailed(string protocol) => _sendFailed.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    /// <summary><paramref name="calls"/> system calls made to send probes (sendmmsg: a batch each; sendto: one probe each) or, for "reflector", replies.</summary>
    public void SendCalls(string protocol, int calls) => _sendCalls.Add(calls, new KeyValuePair<string, object?>("protocol", protocol));

    public void Reply(string protocol) => _replies.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    /// <summary>A datagram dropped; <paramref name="reason"/> is a short snake_case word (too_short, bad_mbz, unmatched, …).</summary>
    public void Dropped(string protocol, string reason) =>
        _dropped.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("reason", reason));

    public void Reflected(int count = 1) => _reflected.Add(count);

    public void Dispose() => _meter.Dispose();
}
