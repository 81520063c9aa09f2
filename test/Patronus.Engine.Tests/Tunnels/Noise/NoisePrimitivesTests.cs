using System.Text;
using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tests.Tunnels.Noise;

// Known answers from published vectors (RFC 7693, RFC 7748, draft-irtf-cfrg-xchacha-03) and from
// independent implementations: Python's hashlib/hmac (BLAKE2s, keyed BLAKE2s, HMAC-BLAKE2s),
// pyca/cryptography (ChaCha20-Poly1305 with WireGuard's counter nonce), and the initial chaining
// key and hash that rustyguard pins as constants.
public class NoisePrimitivesTests
{
    private static readonly byte[] s_key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_data = "Patronus tunnels"u8.ToArray();

    [Fact]
    public void Hash_Abc_MatchesRfc7693()
    {
        var hash = new byte[32];
        NoiseHash.Hash("abc"u8, default, hash);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void InitialChainKeyAndHash_MatchPublishedConstants()
    {
        Assert.Equal("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", Convert.ToHexStringLower(NoiseLabels.InitialChainKey));
        Assert.Equal("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", Convert.ToHexStringLower(NoiseLabels.InitialHash));
    }

    [Fact]
    public void Mac_KeyedBlake2s128_MatchesHashlib()
    {
        var mac = new byte[16];
        NoiseHash.Mac(s_key, s_data, mac);
        Assert.Equal("934e9d5b9619d2362170f6ce334d9f37", Convert.ToHexStringLower(mac));
    }

    [Fact]
    public void Hmac_Blake2s_MatchesPythonHmac()
    {
        var mac = new byte[32];
        NoiseHash.Hmac(s_key, s_data.AsSpan(0, 5), s_data.AsSpan(5), mac);
        Assert.Equal("aba71eea106d372b098a428dc8221d4e99b231b81123701f1b5d8ef0ef2522f7", Convert.ToHexStringLower(mac));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Kdf_ThreeOutputs_MatchHkdfOverPythonHmac(int count)
    {
        string[] expected =
        [
            "8b0e1ff85483939cc80f43bcca281b7f668cb3577d40cea8aaa3866d152bb4bd",
            "d5bd36248e90365ace0bad774a9c4486671cdcb6dcdef8b0837b384d8ab63863",
            "d3477c0abd6de74c0fba22cd40adca40c16cabdb6dd597f6a04a58168f3f9c43",
        ];
        var output = new byte[count * 32];
        NoiseHash.Kdf(s_key, s_data, count, output);
        Assert.Equal(string.Concat(expected.Take(count)), Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Curve25519_Rfc7748Section61_PublicKeysAndSharedSecretMatch()
    {
        var alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        var bobPrivate = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        var alicePublic = new byte[32];
        var bobPublic = new byte[32];
        var shared1 = new byte[32];
        var shared2 = new byte[32];

        Curve25519.PublicKey(alicePrivate, alicePublic);
        Curve25519.PublicKey(bobPrivate, bobPublic);

        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(alicePublic));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Convert.ToHexStringLower(bobPublic));
        Assert.True(Curve25519.TryAgree(alicePrivate, bobPublic, shared1));
        Assert.True(Curve25519.TryAgree(bobPrivate, alicePublic, shared2));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Convert.ToHexStringLower(shared1));
        Assert.Equal(shared1, shared2);
    }

    [Fact]
    public void Curve25519_LowOrderPublicKey_RejectsAllZeroResult()
    {
        var privateKey = new byte[32];
        Curve25519.GeneratePrivateKey(privateKey);

        // The point of order 1 (u = 0) gives an all-zero shared secret for every scalar.
        Assert.False(Curve25519.TryAgree(privateKey, new byte[32], new byte[32]));
    }

    [Fact]
    public void GeneratePrivateKey_Always_IsClamped()
    {
        var key = new byte[32];
        for (var i = 0; i < 64; i++)
        {
            Curve25519.GeneratePrivateKey(key);
            Assert.Equal(0, key[0] & 7);
            Assert.Equal(64, key[31] & 192);
        }
    }

    [Fact]
    public void Seal_CounterNonce_MatchesPycaChaCha20Poly1305()
    {
        var sealedData = new byte[s_data.Length + 16];
        NoiseAead.Seal(s_key, 0x0102030405060708, s_data, "ad"u8, sealedData);
        Assert.Equal("a028d996c4579f6b44df5fa21d1d0dcb49b70cf77585992ad81c53a3982ff494", Convert.ToHexStringLower(sealedData));

        var opened = new byte[s_data.Length];
        Assert.True(NoiseAead.TryOpen(s_key, 0x0102030405060708, sealedData, "ad"u8, opened));
        Assert.Equal(s_data, opened);
    }

    [Fact]
    public void TryOpen_WrongCounterOrAssociatedDataOrFlippedBit_ReturnsFalse()
    {
        var sealedData = new byte[s_data.Length + 16];
        NoiseAead.Seal(s_key, 7, s_data, "ad"u8, sealedData);
        var opened = new byte[s_data.Length];

        Assert.False(NoiseAead.TryOpen(s_key, 8, sealedData, "ad"u8, opened));
        Assert.False(NoiseAead.TryOpen(s_key, 7, sealedData, "ae"u8, opened));
        sealedData[3] ^= 1;
        Assert.False(NoiseAead.TryOpen(s_key, 7, sealedData, "ad"u8, opened));
        Assert.False(NoiseAead.TryOpen(s_key, 7, sealedData.AsSpan(0, 15), "ad"u8, opened));
    }

    [Fact]
    public void ExtendedSeal_DraftXChaChaA31_MatchesVector()
    {
        var key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        var nonce = Convert.FromHexString("404142434445464748494a4b4c4d4e4f5051525354555657");
        var ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
        var plaintext = Encoding.ASCII.GetBytes(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        var sealedData = new byte[plaintext.Length + 16];

        NoiseAead.ExtendedSeal(key, nonce, plaintext, ad, sealedData);

        Assert.Equal(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
            + "c0875924c1c7987947deafd8780acf49",
            Convert.ToHexStringLower(sealedData));
        var opened = new byte[plaintext.Length];
        Assert.True(NoiseAead.TryExtendedOpen(key, nonce, sealedData, ad, opened));
        Assert.Equal(plaintext, opened);
        sealedData[^1] ^= 1;
        Assert.False(NoiseAead.TryExtendedOpen(key, nonce, sealedData, ad, opened));
    }

    [Fact]
    public void Tai64N_KnownTime_WritesLabelledSecondsAndWhitenedNanoseconds()
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234567);
        var stamp = new byte[Tai64N.Size];

        Tai64N.Write(time, stamp);

        // 0x400000000000000a + 1_700_000_000 = 0x400000006553f10a; 123_456_700 ns & ~(2^24 − 1) = 117_440_512.
        Assert.Equal("400000006553f10a07000000", Convert.ToHexStringLower(stamp));
    }

    [Fact]
    public void Tai64N_IsAfter_OrdersBySecondsThenNanoseconds()
    {
        var earlier = new byte[12];
        var later = new byte[12];
        var start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        Tai64N.Write(start, earlier);
        Tai64N.Write(start.AddMilliseconds(20), later);

        Assert.True(Tai64N.IsAfter(later, earlier));
        Assert.False(Tai64N.IsAfter(earlier, later));
        Assert.False(Tai64N.IsAfter(earlier, earlier));
    }
}
