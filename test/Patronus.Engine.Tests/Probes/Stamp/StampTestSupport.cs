using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>A <see cref="ProbeMetrics"/> whose counters the test can read (its own meter, not other tests').</summary>
internal sealed class RecordedProbeMetrics : IDisposable
{
    private readonly MeterFactory _factory = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public RecordedProbeMetrics()
    {
        Metrics = new ProbeMetrics(_factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_factory.Owns(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? protocol = null, reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "protocol")
                {
                    protocol = tag.Value as string;
                }
                else if (tag.Key == "reason")
                {
                    reason = tag.Value as string;
                }
            }

            _counts.AddOrUpdate(Key(instrument.Name, protocol, reason), value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public ProbeMetrics Metrics { get; }

    public long Dropped(string protocol, string reason) => Count("patronus.probe.dropped", protocol, reason);

    public long Count(string instrument, string? protocol = null, string? reason = null) =>
        _counts.TryGetValue(Key(instrument, protocol, reason), out var n) ? n : 0;

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _factory.Dispose();
    }

    private static string Key(string instrument, string? protocol, string? reason) => $"{instrument}|{protocol}|{reason}";

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly ConcurrentBag<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter) => _meters.Contains(meter);

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}

internal static class ProbeTargets
{
    public static Patronus.Engine.Probes.ProbeTarget For(System.Net.IPEndPoint remote, System.Net.IPAddress? source = null, string? device = null) =>
        new("test-path", 0, remote, source, device);
}

/// <summary>A plain UDP socket on loopback standing in for a reflector, so a test chooses what comes back.</summary>
internal static class FakeStampReflector
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public static Socket Open()
    {
        var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return fake;
    }

    /// <summary>The next probe the fake receives (as sent on the wire) and who sent it.</summary>
    public static async Task<(StampSenderPacket Probe, EndPoint Sender)> ReceiveProbeAsync(Socket fake)
    {
        var buffer = new byte[128];
        using var cts = new CancellationTokenSource(s_timeout);
        var received = await fake.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(StampSenderPacket.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out var probe));
        return (probe, received.RemoteEndPoint);
    }

    /// <summary>
    /// A reply to <paramref name="probe"/> with no hold time, echoing its sequence as a reflector
    /// does unless <paramref name="senderSequence"/> says otherwise.
    /// </summary>
    public static byte[] Reply(StampSenderPacket probe, int length = StampReflectorPacket.Size, uint? senderSequence = null)
    {
        var now = NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var echoed = senderSequence ?? probe.Sequence;
        var bytes = new byte[length];
        new StampReflectorPacket(echoed, now, ErrorEstimate.Unsynchronized, now, echoed, probe.Timestamp, probe.ErrorEstimate, 64)
            .TryWrite(bytes, out _);
        return bytes;
    }
}
