using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels;

/// <summary>The Patronus data message in the data plane: both ends, mismatches, LZ4, passive measurement.</summary>
public class TunnelDevicePatronusTests
{
    private static readonly byte[] s_aToB = TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2");
    private static readonly byte[] s_bToA = TunnelDevicePair.Ipv4("10.250.0.2", "10.250.0.1", payload: 100);

    [Fact]
    public void OnTunPacket_BothPatronus_CarriedAsDataMessageAndDeliveredUnchanged()
    {
        using var pair = Established(patronusA: true, patronusB: true);

        pair.A.Device.OnTunPacket(s_aToB);
        var datagram = Assert.Single(pair.A.Outbox);
        pair.Deliver();
        pair.B.Device.OnTunPacket(s_bToA);
        pair.Deliver();

        // 56 octets (random: LZ4 does not shrink it) + the 20-octet header = 76, padded to 80.
        Assert.Equal(TransportHeader.Size + 80 + NoiseAead.TagSize, datagram.Length);
        Assert.Equal(s_aToB, Assert.Single(pair.B.Tun));
        Assert.Equal(s_bToA, Assert.Single(pair.A.Tun));
        Assert.Equal(1 + 1, pair.B.Peer.Snapshot().DataMessagesReceived); // and the packet the handshake waited for
        Assert.Equal(1, pair.A.Peer.Snapshot().DataMessagesReceived);
        Assert.Equal(0, pair.A.Dropped() + pair.B.Dropped());
    }

    [Fact]
    public void OnTunPacket_NeitherPatronus_WireStaysPlainWireGuard()
    {
        using var pair = Established(patronusA: false, patronusB: false);

        pair.A.Device.OnTunPacket(s_aToB);

        Assert.Equal(TransportHeader.Size + 64 + NoiseAead.TagSize, Assert.Single(pair.A.Outbox).Length);
        pair.Deliver();
        Assert.Equal(s_aToB, Assert.Single(pair.B.Tun));
        Assert.Null(pair.A.Peer.Snapshot().Compression);
    }

    [Fact]
    public void OnDatagram_DataMessageFromPeerNotConfiguredAsPatronus_DroppedCountedAndLoggedOnce()
    {
        var logger = new FakeLogger();
        using var pair = Established(patronusA: true, patronusB: false, loggerB: logger);

        pair.A.Device.OnTunPacket(s_aToB);
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();

        Assert.Empty(pair.B.Tun);
        // 2 and the packet the handshake waited for.
        Assert.Equal(3, pair.B.Dropped("patronus_not_configured"));
        Assert.Equal(3, pair.B.Peer.Snapshot().Drops[TunnelDropReason.PatronusNotConfigured]);
        var line = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("not configured as Patronus", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnDatagram_PlainPacketFromPeerConfiguredAsPatronus_AcceptedCountedAndLoggedOnce()
    {
        var logger = new FakeLogger();
        using var pair = Established(patronusA: false, patronusB: true, loggerB: logger);

        pair.A.Device.OnTunPacket(s_aToB);
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();

        Assert.Equal(2, pair.B.Tun.Count);
        Assert.Equal(2 + 1, pair.B.Peer.Snapshot().PlainPacketsReceived); // and the handshake's packet
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Message.Contains("sends plain WireGuard", StringComparison.Ordinal));
        Assert.Equal(0, pair.B.Dropped());
    }

    [Fact]
    public void OnTunPacket_CompressiblePacket_SentShorterAndCountedWithMeasuredRatio()
    {
        using var pair = Established(patronusA: true, patronusB: true);
        var packet = Text(1200);

        pair.A.Device.OnTunPacket(packet);
        var datagram = Assert.Single(pair.A.Outbox);
        pair.Deliver();

        Assert.True(datagram.Length < packet.Length / 2, $"datagram {datagram.Length} octets for a {packet.Length}-octet text packet");
        Assert.Equal(packet, Assert.Single(pair.B.Tun));
        var compression = pair.A.Peer.Snapshot().Compression!;
        // The handshake waited for 56 random octets: incompressible.
        Assert.Equal((1, 1, 0), (compression.PacketsCompressed, compression.PacketsIncompressible, compression.PacketsNotTried));
        Assert.Equal(packet.Length + 56, compression.BytesBefore);
        Assert.True(compression.Ratio > 2, $"ratio {compression.Ratio}");
    }

    [Fact]
    public void OnTunPacket_CompressionOff_TextSentWhole()
    {
        using var pair = Established(patronusA: true, patronusB: true, compressionA: "off");
        var packet = Text(1200);

        pair.A.Device.OnTunPacket(packet);

        Assert.Equal(TransportHeader.Size + 1232 + NoiseAead.TagSize, Assert.Single(pair.A.Outbox).Length);
        var compression = pair.A.Peer.Snapshot().Compression!;
        Assert.Equal(("off", 2L, 1.0), (compression.Mode, compression.PacketsNotTried, compression.Ratio)); // and the handshake's packet
    }

    [Fact]
    public void OnTunPacket_RandomPacket_NoOctetBeyondTheHeader()
    {
        using var pair = Established(patronusA: true, patronusB: true);
        var packet = TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2", payload: 1180);

        pair.A.Device.OnTunPacket(packet);

        // 1200 + 20 = 1220, padded to 1232: what plain WireGuard sends for 1212 octets.
        Assert.Equal(TransportHeader.Size + 1232 + NoiseAead.TagSize, Assert.Single(pair.A.Outbox).Length);
        var compression = pair.A.Peer.Snapshot().Compression!;
        // With the 56 random octets the handshake waited for.
        Assert.Equal((2L, 1256L, 1256L), (compression.PacketsIncompressible, compression.BytesBefore, compression.BytesAfter));
    }

    [Theory]
    [InlineData("f2 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 38 00 38", "version 2")]
    [InlineData("f1 08 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 38 00 38", "reserved flag")]
    [InlineData("f1 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 38 00 37", "payload size differs from original")]
    [InlineData("f1 01 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 38 00 10", "a block that is no LZ4")]
    [InlineData("f1 00 00 00", "truncated")]
    public void OnDatagram_MalformedDataMessageFromPatronusPeer_DroppedAsBadDataMessage(string header, string why)
    {
        using var pair = Established(patronusA: true, patronusB: true);
        var bytes = Convert.FromHexString(header.Replace(" ", "", StringComparison.Ordinal));
        var plaintext = bytes.Length < PatronusDataHeader.BaseSize ? bytes : [.. bytes, .. s_aToB];

        pair.B.Device.OnDatagram(Seal(pair.A.Peer, plaintext), TunnelDevicePair.EndpointA);

        Assert.True(pair.B.Tun.Count == 0, why);
        Assert.Equal(1, pair.B.Dropped("bad_data_message"));
    }

    [Fact]
    public void OnDatagram_RandomAuthenticatedDataMessages_NeverThrowEachDeliveredOrCounted()
    {
        using var pair = Established(patronusA: true, patronusB: true);
        var random = new Random(16);
        const int count = 3000;
        for (var i = 0; i < count; i++)
        {
            // A valid message with a few octets flipped, or random octets after the marker.
            pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2", payload: random.Next(1, 300)));
            var valid = pair.A.Outbox.Single();
            pair.A.Outbox.Clear();
            var plaintext = new byte[random.Next(2, 400)];
            random.NextBytes(plaintext);
            plaintext[0] = PatronusDataHeader.Marker;
            if (i % 2 == 0)
            {
                plaintext[1] &= 0x07; // known flags only: reach the size and LZ4 checks
            }

            pair.B.Device.OnDatagram(i % 3 == 0 ? valid : Seal(pair.A.Peer, plaintext), TunnelDevicePair.EndpointA);
        }

        Assert.Equal(count, pair.B.Tun.Count + pair.B.Dropped());
        Assert.Equal(pair.B.Dropped(), pair.B.Dropped("bad_data_message") + pair.B.Dropped("bad_inner_packet") + pair.B.Dropped("source_not_allowed"));
        Assert.True(pair.B.Tun.Count >= count / 3, $"{pair.B.Tun.Count} delivered");
    }

    [Fact]
    public void OnDatagram_TenPercentOfPathMessagesLost_PassiveLossOnTheArrivalPath()
    {
        using var pair = PerPath();
        SendOnP1LosingEveryTenth(pair);

        var passive = pair.B.Peer.Snapshot().Paths.Single(p => p.PathId == "p1").Passive!;
        Assert.Equal(180, pair.B.Tun.Count);
        Assert.InRange(passive.LossPercent!.Value, 9.9, 10.0); // 20 of 200 (201 with the handshake's staged packet)
        Assert.Equal(0.0, passive.ReorderedPercent);
        Assert.Null(pair.B.Peer.Snapshot().Paths.Single(p => p.PathId == "p2").Passive);
    }

    [Fact]
    public void TunnelPassiveFeed_TenPercentOfPathMessagesLost_PublishesThePathsLossForHealth()
    {
        using var pair = PerPath();
        var feed = new Patronus.Engine.Tunnels.Sdwan.TunnelPassiveFeed(
            Microsoft.Extensions.Options.Options.Create(new Patronus.Engine.Health.HealthOptions { PassiveMinPackets = 100 }), pair.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Patronus.Engine.Tunnels.Sdwan.TunnelPassiveFeed>.Instance);
        var changed = feed.Changed.Watch();
        feed.Publish(pair.B.Device);
        Assert.False(changed.Consume()); // nothing measured yet: nothing published
        SendOnP1LosingEveryTenth(pair);

        feed.Publish(pair.B.Device);

        Assert.True(changed.Consume());
        var p1 = feed.Passive("p1")!.Value;
        Assert.InRange(p1.Expected, 100, 201); // the newest buckets that hold 100 (1 s buckets of 50 messages)
        Assert.InRange(p1.LossPct, 9.0, 11.0);
        Assert.Null(feed.Passive("p2"));
        feed.Publish(pair.B.Device);
        Assert.False(changed.Consume()); // the same numbers: the monitor is not woken
    }

    [Fact]
    public void OnDatagram_EchoedTimestamp_RoundTripOfTheSendingPath()
    {
        using var pair = PerPath();

        pair.A.Device.OnTunPacket(s_aToB); // leaves on p1 at t
        pair.Time.Advance(TimeSpan.FromMilliseconds(3));
        pair.B.Device.OnDatagram(pair.A.Outbox.Single(), new TunnelEndpoint(TunnelDevicePair.EndpointA, via: 1));
        pair.A.Outbox.Clear();
        pair.Time.Advance(TimeSpan.FromMilliseconds(2)); // held 2 ms at B
        pair.B.Device.OnTunPacket(s_bToA);
        var answer = pair.B.Outbox.Single();
        pair.Time.Advance(TimeSpan.FromMilliseconds(4));
        pair.A.Device.OnDatagram(answer, new TunnelEndpoint(TunnelDevicePair.EndpointB, via: 1));

        // 3 ms out + 4 ms back; B's 2 ms hold is not in it.
        Assert.Equal(TransportHeader.Size + 160 + NoiseAead.TagSize, answer.Length); // 120 + 28 = 148, padded to 160
        var passive = pair.A.Peer.Snapshot().Paths.Single(p => p.PathId == "p1").Passive!;
        Assert.Equal((7.0, 1L), (passive.RttMs, passive.RttSamples));
    }

    /// <summary>200 messages a → b on p1, 20 ms apart, the sixth of every ten lost on the way.</summary>
    private static void SendOnP1LosingEveryTenth(TunnelDevicePair pair)
    {
        for (var i = 0; i < 200; i++)
        {
            pair.A.Device.OnTunPacket(s_aToB);
            var datagram = pair.A.Outbox.Single();
            pair.A.Outbox.Clear();
            if (i % 10 != 5)
            {
                pair.B.Device.OnDatagram(datagram, new TunnelEndpoint(TunnelDevicePair.EndpointA, via: 1));
            }

            pair.Time.Advance(TimeSpan.FromMilliseconds(20));
        }
    }

    private static TunnelDevicePair Established(
        bool patronusA, bool patronusB, string compressionA = "auto", ILogger? loggerB = null)
    {
        var pair = new TunnelDevicePair(
            configureA: p => (p.Patronus, p.Compression) = (patronusA, compressionA),
            configureB: p => p.Patronus = patronusB,
            loggerB: loggerB);
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        return Reset(pair);
    }

    // Both Patronus, each with endpoints on p1 (socket 1) and p2 (socket 2) and steering on p1;
    // the handshake's traffic is forgotten so counts start at 0.
    private static TunnelDevicePair PerPath()
    {
        static void Paths(TunnelPeerOptions p, IPEndPoint first)
        {
            p.Patronus = true;
            p.Endpoint = null;
            p.Endpoints["p1"] = first.ToString();
            p.Endpoints["p2"] = "10.240.1.9:51820";
        }

        var pair = new TunnelDevicePair(configureA: p => Paths(p, TunnelDevicePair.EndpointB), configureB: p => Paths(p, TunnelDevicePair.EndpointA));
        pair.A.Peer.Steering = TunnelDeviceTests.Steering(pair.A.Peer, down: null);
        pair.B.Peer.Steering = TunnelDeviceTests.Steering(pair.B.Peer, down: null);
        pair.A.Device.OnTunPacket(s_aToB);
        pair.Deliver();
        return Reset(pair);
    }

    private static TunnelDevicePair Reset(TunnelDevicePair pair)
    {
        pair.A.Tun.Clear();
        pair.B.Tun.Clear();
        pair.A.Outbox.Clear();
        pair.B.Outbox.Clear();
        pair.A.SentTo.Clear();
        pair.B.SentTo.Clear();
        return pair;
    }

    // An IPv4/UDP packet from A to B carrying repetitive JSON text (what LZ4 shrinks well).
    private static byte[] Text(int length)
    {
        var packet = TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2", payload: length - 20);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"path\":\"wan1\",\"loss\":0.0,\"rtt_ms\":12.5}", 64)));
        text.AsSpan(0, length - 20).CopyTo(packet.AsSpan(20));
        return packet;
    }

    // A transport message with `plaintext` on A's current session, as A would send it.
    private static byte[] Seal(TunnelPeer peer, byte[] plaintext)
    {
        var keys = peer.Current!;
        Assert.True(keys.TryNextCounter(out var counter));
        var padded = (plaintext.Length + 15) & ~15;
        var datagram = new byte[TransportHeader.Size + padded + NoiseAead.TagSize];
        new TransportHeader(keys.RemoteIndex, counter).TryWrite(datagram, out _);
        plaintext.CopyTo(datagram, TransportHeader.Size);
        Assert.True(keys.TrySeal(counter, datagram.AsSpan(TransportHeader.Size, padded), datagram.AsSpan(TransportHeader.Size)));
        return datagram;
    }
}
