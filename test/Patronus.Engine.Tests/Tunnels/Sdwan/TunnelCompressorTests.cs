using System.Text;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class TunnelCompressorTests
{
    public static TheoryData<string> Codecs => ["managed", "native"];

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_Text_ShrinksAndRoundTrips(string codec)
    {
        var compressor = new TunnelCompressor(CompressionMode.Auto, new FakeTimeProvider(), Codec(codec));
        var packet = Text(1400);
        var block = new byte[packet.Length];

        var written = compressor.Compress(packet, block);

        Assert.InRange(written, 1, packet.Length / 2);
        var restored = new byte[packet.Length];
        Assert.True(compressor.TryDecompress(block.AsSpan(0, written), restored));
        Assert.Equal(packet, restored);
        Assert.Equal(1, compressor.Counters.PacketsCompressed);
        Assert.Equal(1400, compressor.Counters.BytesBefore);
        Assert.Equal(written, compressor.Counters.BytesAfter);
        Assert.True(compressor.Counters.Ratio > 2);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_RandomData_SendsAsIsWithNoExtraBytes(string codec)
    {
        var compressor = new TunnelCompressor(CompressionMode.Auto, new FakeTimeProvider(), Codec(codec));
        var packet = new byte[1400];
        new Random(1).NextBytes(packet);

        Assert.Equal(0, compressor.Compress(packet, new byte[2048]));

        Assert.Equal(1, compressor.Counters.PacketsIncompressible);
        Assert.Equal(1400, compressor.Counters.BytesAfter);
        Assert.Equal(1.0, compressor.Counters.Ratio);
    }

    [Fact]
    public void Compress_ManagedAndNative_ReadEachOthersBlocks()
    {
        var packet = Text(1000);
        var managed = new byte[1000];
        var native = new byte[1000];
        var m = ManagedLz4Codec.Instance.Compress(packet, managed);
        var n = NativeLz4Codec.Instance.Compress(packet, native);
        var restored = new byte[1000];

        Assert.Equal(1000, NativeLz4Codec.Instance.Decompress(managed.AsSpan(0, m), restored));
        Assert.Equal(packet, restored);
        Assert.Equal(1000, ManagedLz4Codec.Instance.Decompress(native.AsSpan(0, n), restored));
        Assert.Equal(packet, restored);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void TryDecompress_MalformedOrWrongSize_ReturnsFalse(string codec)
    {
        var compressor = new TunnelCompressor(CompressionMode.Auto, new FakeTimeProvider(), Codec(codec));
        var packet = Text(600);
        var block = new byte[600];
        var written = compressor.Compress(packet, block);
        var random = new Random(2);

        Assert.False(compressor.TryDecompress(block.AsSpan(0, written), new byte[599]));
        Assert.False(compressor.TryDecompress(block.AsSpan(0, written), new byte[601]));
        Assert.False(compressor.TryDecompress(block.AsSpan(0, written - 1), new byte[600]));
        Assert.False(compressor.TryDecompress([], new byte[600]));
        Assert.False(compressor.TryDecompress(block.AsSpan(0, written), []));
        var mutated = block[..written];
        for (var i = 0; i < 5_000; i++)
        {
            block.AsSpan(0, written).CopyTo(mutated);
            mutated[random.Next(written)] = (byte)random.Next(256);
            compressor.TryDecompress(mutated.AsSpan(0, random.Next(written + 1)), new byte[600]);
        }
    }

    [Fact]
    public void Compress_Off_NeverTries()
    {
        var compressor = new TunnelCompressor(CompressionMode.Off, new FakeTimeProvider());

        Assert.Equal(0, compressor.Compress(Text(1400), new byte[2048]));

        Assert.Equal(1, compressor.Counters.PacketsNotTried);
        Assert.Equal(1.0, compressor.Counters.Ratio);
    }

    [Fact]
    public void Compress_BelowMinimumSize_NotTried()
    {
        var compressor = new TunnelCompressor(CompressionMode.Auto, new FakeTimeProvider());

        Assert.Equal(0, compressor.Compress(new byte[TunnelCompressor.MinimumSize - 1], new byte[64]));
        Assert.NotEqual(0, compressor.Compress(new byte[TunnelCompressor.MinimumSize], new byte[64]));

        Assert.Equal(1, compressor.Counters.PacketsNotTried);
        Assert.Equal(1, compressor.Counters.PacketsCompressed);
    }

    [Fact]
    public void Compress_RunOfIncompressiblePackets_BacksOffThenProbesOnTheClock()
    {
        var time = new FakeTimeProvider();
        var compressor = new TunnelCompressor(CompressionMode.Auto, time);
        var random = new byte[1400];
        new Random(3).NextBytes(random);
        var destination = new byte[2048];
        for (var i = 0; i < CompressionBackoff.MissesBeforeBackoff; i++)
        {
            compressor.Compress(random, destination);
        }

        // Backed off: even a compressible packet goes as it is, untried, until the back-off ends.
        Assert.Equal(0, compressor.Compress(Text(1400), destination));
        time.Advance(CompressionBackoff.FirstBackoff - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, compressor.Compress(Text(1400), destination));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotEqual(0, compressor.Compress(Text(1400), destination));

        Assert.Equal(CompressionBackoff.MissesBeforeBackoff, compressor.Counters.PacketsIncompressible);
        Assert.Equal(2, compressor.Counters.PacketsNotTried);
        Assert.Equal(1, compressor.Counters.PacketsCompressed);
        Assert.Equal(0, compressor.Backoff.Level);
    }

    private static ILz4Codec Codec(string name) => name == "native" ? NativeLz4Codec.Instance : ManagedLz4Codec.Instance;

    private static byte[] Text(int length)
    {
        var text = new StringBuilder();
        for (var i = 0; text.Length < length; i++)
        {
            text.Append("{\"id\":").Append(i).Append(",\"site\":\"branch-").Append(i % 7).Append("\",\"status\":\"up\"},");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}
