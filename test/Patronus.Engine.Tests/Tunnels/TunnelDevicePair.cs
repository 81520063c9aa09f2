using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels;

/// <summary>
/// Two <see cref="TunnelDevice"/>s, A (10.250.0.1) and B (10.250.0.2), whose datagrams travel
/// only when the test says so (<see cref="Deliver"/>), on one <see cref="FakeTimeProvider"/>; each
/// side's TUN output and drops (by reason, from its own meter) are recorded.
/// </summary>
internal sealed class TunnelDevicePair : IDisposable
{
    public static readonly IPEndPoint EndpointA = new(IPAddress.Parse("10.240.0.1"), 51820);
    public static readonly IPEndPoint EndpointB = new(IPAddress.Parse("10.240.0.2"), 51820);

    public TunnelDevicePair(
        bool bKnowsA = true, int persistentKeepalive = 0, Action<TunnelPeerOptions>? configureA = null, Action<TunnelPeerOptions>? configureB = null,
        ILogger? loggerB = null, TrafficClassifier? classes = null)
    {
        var keyA = TunnelKeys.GeneratePrivateKey();
        var keyB = TunnelKeys.GeneratePrivateKey();
        A = new Side("a", keyA, keyB, "10.250.0.2/32", EndpointB, Time, persistentKeepalive, configureA, classes: classes);
        B = new Side("b", keyB, keyA, "10.250.0.1/32", bKnowsA ? EndpointA : null, Time, configure: configureB, logger: loggerB, classes: classes);
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    public Side A { get; }

    public Side B { get; }

    /// <summary>Moves datagrams both ways until none is in flight; returns how many moved.</summary>
    public int Deliver()
    {
        var moved = 0;
        while (A.Outbox.Count > 0 || B.Outbox.Count > 0)
        {
            moved += Move(A, B, EndpointA) + Move(B, A, EndpointB);
        }

        return moved;

        static int Move(Side from, Side to, IPEndPoint source)
        {
            var batch = from.Outbox.ToList();
            from.Outbox.Clear();
            from.SentTo.Clear();
            foreach (var datagram in batch)
            {
                to.Device.OnDatagram(datagram, source);
            }

            return batch.Count;
        }
    }

    /// <summary>A minimal IPv4 packet (20-octet header, no options) from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static byte[] Ipv4(string source, string destination, int payload = 36)
    {
        var packet = new byte[20 + payload];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        new Random(payload).NextBytes(packet.AsSpan(20));
        return packet;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    internal sealed class Side : ITunnelTransport, IDisposable
    {
        private readonly SingleMeterFactory _meters = new();
        private readonly TunnelMetrics _metrics;
        private readonly MetricCollector<long> _drops;
        private readonly MetricCollector<long> _handshakesReceived;

        public Side(
            string name, string privateKey, string peerPrivateKey, string peerAllowed, IPEndPoint? peerEndpoint, TimeProvider time,
            int persistentKeepalive = 0, Action<TunnelPeerOptions>? configure = null, ILogger? logger = null, TrafficClassifier? classes = null)
        {
            Assert.True(TunnelKeys.TryPublicKey(peerPrivateKey, out var peerPublic));
            Assert.True(TunnelKeys.TryPublicKey(privateKey, out var publicKey));
            PublicKey = Convert.FromBase64String(publicKey);
            var secret = new byte[32];
            Assert.True(TunnelKeys.TryDecode(privateKey, secret));
            _metrics = new TunnelMetrics(_meters);
            _drops = new MetricCollector<long>(_meters, TunnelMetrics.MeterName, "patronus.tunnel.dropped_packets");
            _handshakesReceived = new MetricCollector<long>(_meters, TunnelMetrics.MeterName, "patronus.tunnel.handshakes_received");
            var peer = new TunnelPeerOptions
            {
                Name = "peer",
                PublicKey = peerPublic,
                AllowedIps = [peerAllowed],
                Endpoint = peerEndpoint?.ToString(),
                PersistentKeepalive = persistentKeepalive,
            };
            configure?.Invoke(peer);
            Device = new TunnelDevice($"tun-{name}", new NoiseIdentity(secret), [peer], 1420, this, time, _metrics, logger ?? NullLogger.Instance, classes);
        }

        public TunnelDevice Device { get; }

        public byte[] PublicKey { get; }

        public List<byte[]> Outbox { get; } = [];

        public List<byte[]> Tun { get; } = [];

        public TunnelPeer Peer => Device.Peers[0];

        /// <summary>Drops counted with <paramref name="reason"/> (snake case), or all drops.</summary>
        public long Dropped(string? reason = null) => _drops.GetMeasurementSnapshot()
            .Where(m => reason is null || Equals(m.Tags["reason"], reason)).Sum(m => m.Value);

        /// <summary>
        /// What an observable instrument (e.g. patronus.tunnel.sent_packets) reports for the peer
        /// now, once the device is observed (<see cref="TunnelMetrics.Observe"/>, as the service does); null when it reports nothing.
        /// </summary>
        public long? Observed(string instrument)
        {
            _metrics.Observe(Device);
            using var collector = new MetricCollector<long>(_meters, TunnelMetrics.MeterName, instrument);
            collector.RecordObservableInstruments();
            return collector.GetMeasurementSnapshot() is [.., var last] && Equals(last.Tags["peer"], "peer") && Equals(last.Tags["tunnel"], Device.Name)
                ? last.Value : null;
        }

        /// <summary>Handshake messages accepted (patronus.tunnel.handshakes_received).</summary>
        public long HandshakesReceived => _handshakesReceived.GetMeasurementSnapshot().Sum(m => m.Value);

        /// <summary>Where each datagram of <see cref="Outbox"/> was sent, in the same order.</summary>
        public List<TunnelEndpoint> SentTo { get; } = [];

        /// <summary>False: the TUN device refuses packets (a write failure).</summary>
        public bool TunAccepts { get; set; } = true;

        public void SendDatagram(ReadOnlySpan<byte> datagram, TunnelEndpoint destination)
        {
            Outbox.Add(datagram.ToArray());
            SentTo.Add(destination);
        }

        public bool WritePacket(ReadOnlySpan<byte> packet)
        {
            if (TunAccepts)
            {
                Tun.Add(packet.ToArray());
            }

            return TunAccepts;
        }

        public void Dispose()
        {
            Device.Dispose();
            _drops.Dispose();
            _metrics.Dispose();
            _meters.Dispose();
        }
    }

    private sealed class SingleMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
