using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tests.Tunnels.Noise;

// Short messages go through libsodium, long ones through OpenSSL: both must be the same RFC 8439
// AEAD, octet for octet (the peer may be wireguard-go, or a Patronus that chose the other way).
public class SessionKeysTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(96)]
    [InlineData(SessionKeys.ShortMessage)]
    [InlineData(SessionKeys.ShortMessage + 1)]
    [InlineData(1420)]
    public void TrySeal_AnyLength_SameOctetsAsOpenSslAndOpensOnTheOtherSide(int length)
    {
        var sendKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var receiveKey = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        using var sender = new SessionKeys(sendKey, receiveKey, 1, 2, isInitiator: true, created: 0);
        using var receiver = new SessionKeys(receiveKey, sendKey, 2, 1, isInitiator: false, created: 0);
        var plaintext = Enumerable.Range(0, length).Select(i => (byte)(i * 13)).ToArray();
        var sealedData = new byte[length + NoiseAead.TagSize];
        var expected = new byte[length + NoiseAead.TagSize];

        Assert.True(sender.TrySeal(1_000_003, plaintext, sealedData));
        NoiseAead.Seal(sendKey, 1_000_003, plaintext, default, expected);

        Assert.Equal(expected, sealedData);
        var opened = new byte[length];
        Assert.True(receiver.TryOpen(1_000_003, sealedData, opened));
        Assert.Equal(plaintext, opened);
        sealedData[^1] ^= 1;
        Assert.False(receiver.TryOpen(1_000_003, sealedData, opened));
        Assert.False(receiver.TryOpen(1_000_004, expected, opened));
        Assert.False(receiver.TryOpen(1_000_003, expected.AsSpan(0, NoiseAead.TagSize - 1), opened));
    }

    [Fact]
    public void TrySeal_InPlace_SameOctetsAsSealingACopy()
    {
        var key = new byte[32];
        key[0] = 7;
        using var sender = new SessionKeys(key, key, 1, 2, isInitiator: true, created: 0);
        var buffer = new byte[96 + NoiseAead.TagSize];
        new Random(15).NextBytes(buffer.AsSpan(0, 96));
        var plaintext = buffer[..96];
        var expected = new byte[buffer.Length];
        NoiseAead.Seal(key, 5, plaintext, default, expected);

        Assert.True(sender.TrySeal(5, buffer.AsSpan(0, 96), buffer));

        Assert.Equal(expected, buffer);
    }
}
