using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels.Noise;

public class CookieTests
{
    private static readonly byte[] s_sourceA = [10, 240, 0, 1, 0x33, 0x27];
    private static readonly byte[] s_sourceB = [10, 240, 0, 2, 0x33, 0x27];
    private readonly FakeTimeProvider _time = new();
    private readonly NoiseIdentity _responder;
    private readonly CookieChecker _checker;
    private readonly CookieGenerator _generator;

    public CookieTests()
    {
        var key = new byte[32];
        Curve25519.GeneratePrivateKey(key);
        _responder = new NoiseIdentity(key);
        _checker = new CookieChecker(_responder, _time);
        _generator = new CookieGenerator(_responder.PublicKey, _time);
    }

    [Fact]
    public void AddMacs_NoCookie_WritesValidMac1AndZeroMac2()
    {
        var message = Message();

        _generator.AddMacs(message, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);

        Assert.True(_checker.CheckMac1(message, HandshakeInitiation.Mac1Offset));
        Assert.All(message[HandshakeInitiation.Mac2Offset..], b => Assert.Equal(0, b));
        Assert.False(_checker.CheckMac2(message, HandshakeInitiation.Mac2Offset, s_sourceA));
    }

    [Fact]
    public void CheckMac1_FlippedBitOrOtherResponderKey_ReturnsFalse()
    {
        var message = Message();
        _generator.AddMacs(message, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        var other = new byte[32];
        Curve25519.GeneratePrivateKey(other);

        Assert.False(new CookieChecker(new NoiseIdentity(other), _time).CheckMac1(message, HandshakeInitiation.Mac1Offset));
        message[10] ^= 1;
        Assert.False(_checker.CheckMac1(message, HandshakeInitiation.Mac1Offset));
    }

    [Fact]
    public void CookieReply_Consumed_Mac2ValidForThatSourceOnlyUntilRefreshTime()
    {
        var first = Message();
        _generator.AddMacs(first, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        var reply = _checker.CreateReply(first, HandshakeInitiation.Mac1Offset, 42, s_sourceA);
        Assert.Equal(42u, reply.ReceiverIndex);
        Assert.True(_generator.TryConsumeReply(reply));

        var second = Message();
        _generator.AddMacs(second, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        Assert.True(_checker.CheckMac2(second, HandshakeInitiation.Mac2Offset, s_sourceA));
        Assert.False(_checker.CheckMac2(second, HandshakeInitiation.Mac2Offset, s_sourceB));

        _time.Advance(CookieChecker.CookieRefreshTime);
        var third = Message();
        _generator.AddMacs(third, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        Assert.All(third[HandshakeInitiation.Mac2Offset..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryConsumeReply_ForOtherMac1OrTampered_ReturnsFalse()
    {
        var sent = Message();
        Assert.False(_generator.TryConsumeReply(_checker.CreateReply(sent, HandshakeInitiation.Mac1Offset, 1, s_sourceA)));

        _generator.AddMacs(sent, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        var notSent = Message(seed: 9);
        Assert.False(_generator.TryConsumeReply(_checker.CreateReply(notSent, HandshakeInitiation.Mac1Offset, 1, s_sourceA)));

        var reply = _checker.CreateReply(sent, HandshakeInitiation.Mac1Offset, 1, s_sourceA);
        var sealedCookie = reply.EncryptedCookie;
        sealedCookie[0] ^= 1;
        Assert.False(_generator.TryConsumeReply(reply with { EncryptedCookie = sealedCookie }));
        Assert.True(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void CheckMac2_AfterSecretRotation_RejectsOldCookie()
    {
        var first = Message();
        _generator.AddMacs(first, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        Assert.True(_generator.TryConsumeReply(_checker.CreateReply(first, HandshakeInitiation.Mac1Offset, 1, s_sourceA)));
        _time.Advance(CookieChecker.CookieRefreshTime - TimeSpan.FromSeconds(1));
        var second = Message();
        _generator.AddMacs(second, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset);
        Assert.True(_checker.CheckMac2(second, HandshakeInitiation.Mac2Offset, s_sourceA));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(_checker.CheckMac2(second, HandshakeInitiation.Mac2Offset, s_sourceA));
    }

    private static byte[] Message(int seed = 1)
    {
        var message = new byte[HandshakeInitiation.Size];
        new Random(seed).NextBytes(message.AsSpan(0, HandshakeInitiation.Mac1Offset));
        message[0] = 1;
        message[1] = message[2] = message[3] = 0;
        return message;
    }
}
