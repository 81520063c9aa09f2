using System.Buffers;
using Patronus.Engine.Health;

namespace Patronus.Persistence.Tests;

public sealed class HealthBlockCodecTests
{
    private static readonly long s_block = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static PathHealthBucket Bucket(int slot, Random random) => new("p1", DateTimeOffset.FromUnixTimeMilliseconds(s_block + (slot * 10_000L)),
        HealthResolution.TenSeconds, Samples: 10, LatencyAvgMs: Round(random.NextDouble() * 700), LatencyMinMs: 0.001, LatencyMaxMs: 9_999.999, LatencyP95Ms: 600.5,
        LossAvgPct: Round(random.NextDouble() * 100), JitterAvgMs: Round(random.NextDouble() * 50), ScoreAvg: Round(random.NextDouble() * 100), ScoreMin: 0, UpSamples: random.Next(11));

    private static double Round(double value) => Math.Round(value, 3);

    [Fact]
    public void Encode_RandomBuckets_ReadBackToTheMicrosecond()
    {
        var random = new Random(14);
        var buckets = Enumerable.Range(0, 60).Select(slot => Bucket(slot, random)).ToList();

        var read = HealthBlockCodec.Read(HealthBlockCodec.Encode(buckets, s_block), "p1", HealthResolution.TenSeconds, s_block);

        Assert.Equal(buckets.Count, read.Count);
        foreach (var (expected, actual) in buckets.Zip(read))
        {
            Assert.Equal(expected with { LatencyAvgMs = 0, LossAvgPct = 0, JitterAvgMs = 0, ScoreAvg = 0 }, actual with { LatencyAvgMs = 0, LossAvgPct = 0, JitterAvgMs = 0, ScoreAvg = 0 });
            Assert.Equal((expected.LatencyAvgMs, expected.LossAvgPct, expected.JitterAvgMs, expected.ScoreAvg), (actual.LatencyAvgMs, actual.LossAvgPct, actual.JitterAvgMs, actual.ScoreAvg), new ToTheMicro());
        }
    }

    [Fact]
    public void Encode_SteadyPathBucket_FewOctets()
    {
        var bucket = new PathHealthBucket("p1", DateTimeOffset.FromUnixTimeMilliseconds(s_block), HealthResolution.TenSeconds, 10, 25.4, 24.9, 26.1, 26.0, 0, 0.4, 100, 100, 10);

        Assert.Equal(17, HealthBlockCodec.Encode([bucket], s_block).Length);
    }

    [Fact]
    public void Read_TruncatedOrGarbage_NeverThrowsAndKeepsWholeRecords()
    {
        var random = new Random(7);
        var data = HealthBlockCodec.Encode(Enumerable.Range(0, 3).Select(slot => Bucket(slot, random)), s_block);
        for (var length = 0; length <= data.Length; length++)
        {
            var read = HealthBlockCodec.Read(data.AsSpan(0, length), "p1", HealthResolution.TenSeconds, s_block);
            Assert.True(read.Count <= 3);
        }

        var garbage = new byte[64];
        for (var run = 0; run < 1_000; run++)
        {
            random.NextBytes(garbage);
            HealthBlockCodec.Read(garbage, "p1", HealthResolution.Minute, s_block);
        }
    }

    [Fact]
    public void Write_BucketOutsideTheBlock_Throws()
    {
        var bucket = Bucket(60, new Random(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => HealthBlockCodec.Write(new ArrayBufferWriter<byte>(), bucket, s_block));
    }

    private sealed class ToTheMicro : IEqualityComparer<(double, double, double, double)>
    {
        public bool Equals((double, double, double, double) x, (double, double, double, double) y) =>
            Math.Abs(x.Item1 - y.Item1) < 5e-4 && Math.Abs(x.Item2 - y.Item2) < 5e-4 && Math.Abs(x.Item3 - y.Item3) < 5e-4 && Math.Abs(x.Item4 - y.Item4) < 5e-4;

        public int GetHashCode((double, double, double, double) obj) => 0;
    }
}
