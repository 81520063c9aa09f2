using System.Net;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelDeviceCookieTests
{
    private static readonly IPEndPoint s_flooder = new(IPAddress.Parse("10.240.9.9"), 4444);

    [Fact]
    public void OnDatagram_HandshakeFlood_UnderLoadCookieRepliesAndPeerCompletesWithMac2()
    {
        using var pair = new TunnelDevicePair();
        Flood(pair, TunnelTiming.UnderLoadHandshakesPerSecond + 2);
        Assert.True(pair.B.Device.IsUnderLoad);
        Assert.Equal(2, pair.B.Dropped("cookie_required"));
        Assert.All(pair.B.Outbox, d => Assert.Equal(CookieReply.Size, d.Length));
        pair.B.Outbox.Clear();

        // A's initiation has no mac2 yet: B answers with a cookie reply, which A keeps.
        pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2"));
        pair.Deliver();
        Assert.Equal(3, pair.B.Dropped("cookie_required"));
        Assert.Empty(pair.B.Tun);
        Assert.Equal(0, pair.A.Dropped());

        // Still under load when A retries: its initiation now carries a valid mac2 and goes through.
        pair.Time.Advance(TunnelTiming.RekeyTimeout + TunnelTiming.RekeyTimeoutJitter);
        Flood(pair, TunnelTiming.UnderLoadHandshakesPerSecond + 1);
        pair.B.Outbox.Clear();
        pair.A.Device.Tick();
        pair.Deliver();

        Assert.Single(pair.B.Tun);
        Assert.Equal(3 + 1, pair.B.Dropped("cookie_required"));
    }

    [Fact]
    public void OnDatagram_BelowLoadRate_NoCookieReplies()
    {
        using var pair = new TunnelDevicePair();

        Flood(pair, TunnelTiming.UnderLoadHandshakesPerSecond);

        Assert.False(pair.B.Device.IsUnderLoad);
        Assert.Equal(0, pair.B.Dropped("cookie_required"));
        Assert.Empty(pair.B.Outbox);
        pair.Time.Advance(TunnelTiming.UnderLoadAfterTime);
        pair.A.Device.OnTunPacket(TunnelDevicePair.Ipv4("10.250.0.1", "10.250.0.2"));
        pair.Deliver();
        Assert.Single(pair.B.Tun);
    }

    // Initiations with a valid mac1 for B but garbage inside (each costs B a DH and fails to decrypt).
    private static void Flood(TunnelDevicePair pair, int count)
    {
        var macs = new CookieGenerator(pair.B.PublicKey, pair.Time);
        var random = new Random(count);
        for (var i = 0; i < count; i++)
        {
            var message = new byte[HandshakeInitiation.Size];
            random.NextBytes(message);
            message[0] = 1;
            message[1] = message[2] = message[3] = 0;
            macs.AddMacs(message, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
            pair.B.Device.OnDatagram(message, s_flooder);
        }
    }
}
