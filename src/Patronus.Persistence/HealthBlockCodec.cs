using System.Buffers;
using Patronus.Engine.Health;

namespace Patronus.Persistence;

/// <summary>
/// The packed form of health buckets: one row per path per block (10-second buckets: 10 minutes;
/// 1-minute buckets: 1 hour; 1-hour buckets: 1 day), whose <c>data</c> BLOB is a sequence of
/// records, one per bucket. Why: a row per bucket costs ~60–130 octets with its keys and indexes, a
/// packed record ~15–20 (docs/storage.md, History storage, measured). A record is
/// <code>
/// slot        1 octet   bucket index inside the block (0–59; 0–23 for 1-hour buckets)
/// samples     varint    n
/// not up      varint    n − up samples
/// lat min     zigzag    µs
/// lat avg     zigzag    µs above min
/// lat max     zigzag    µs above avg
/// lat p95     zigzag    µs above min
/// loss        zigzag    0.001 % units
/// jitter      zigzag    µs
/// score       zigzag    100,000 − mean score in 0.001 units (0 for a perfect bucket)
/// score min   zigzag    mean − min score, 0.001 units
/// </code>
/// (LEB128 varints; zigzag maps signed to unsigned so a negative delta costs what a positive one
/// does). Values are rounded to µs and 0.001, the precision the API prints. Records are appended:
/// a block may hold several records for one slot (a bucket written in parts), which
/// <see cref="Read"/> merges with <see cref="PathHealthBucket.Combine"/>.
/// </summary>
public static class HealthBlockCodec
{
    /// <summary>Largest encoded record: the slot and ten 64-bit varints.</summary>
    public const int MaxRecordLength = 1 + (10 * 10);

    /// <summary>Span of one block of <paramref name="resolution"/>, in ms.</summary>
    public static long BlockMs(HealthResolution resolution) => resolution switch
    {
        HealthResolution.TenSeconds => 600_000,
        HealthResolution.Minute => 3_600_000,
        HealthResolution.Hour => 86_400_000,
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "blocks hold TenSeconds, Minute or Hour buckets"),
    };

    /// <summary>Span of one bucket of <paramref name="resolution"/>, in ms.</summary>
    public static long BucketMs(HealthResolution resolution) => (long)resolution.BucketSize().TotalMilliseconds;

    /// <summary>Start of the block holding a bucket starting at <paramref name="bucketStartMs"/>.</summary>
    public static long BlockStart(HealthResolution resolution, long bucketStartMs) => Floor(bucketStartMs, BlockMs(resolution));

    /// <summary><paramref name="ms"/> floored to a multiple of <paramref name="size"/> (also below zero).</summary>
    public static long Floor(long ms, long size) => ms - (((ms % size) + size) % size);

    /// <summary>Appends the record of <paramref name="bucket"/> (which must lie in the block starting at <paramref name="blockStartMs"/>).</summary>
    public static void Write(IBufferWriter<byte> output, PathHealthBucket bucket, long blockStartMs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(bucket);
        var bucketMs = BucketMs(bucket.Resolution);
        var offset = bucket.BucketStart.ToUnixTimeMilliseconds() - blockStartMs;
        if (offset < 0 || offset >= BlockMs(bucket.Resolution) || offset % bucketMs != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket.BucketStart, "the bucket is not a bucket of this block");
        }

        var span = output.GetSpan(MaxRecordLength);
        var at = 0;
        span[at++] = (byte)(offset / bucketMs);
        var min = Micro(bucket.LatencyMinMs);
        var avg = Micro(bucket.LatencyAvgMs);
        var score = Micro(bucket.ScoreAvg);
        WriteVarint(span, ref at, (ulong)Math.Max(bucket.Samples, 0));
        WriteVarint(span, ref at, (ulong)Math.Max(bucket.Samples - bucket.UpSamples, 0));
        WriteSigned(span, ref at, min);
        WriteSigned(span, ref at, avg - min);
        WriteSigned(span, ref at, Micro(bucket.LatencyMaxMs) - avg);
        WriteSigned(span, ref at, Micro(bucket.LatencyP95Ms) - min);
        WriteSigned(span, ref at, Micro(bucket.LossAvgPct));
        WriteSigned(span, ref at, Micro(bucket.JitterAvgMs));
        WriteSigned(span, ref at, 100_000 - score);
        WriteSigned(span, ref at, score - Micro(bucket.ScoreMin));
        output.Advance(at);
    }

    /// <summary>
    /// The buckets of one block, by start, records of one slot merged. A truncated or malformed tail
    /// (not written by this codec) ends the read: what came before it is returned.
    /// </summary>
    public static List<PathHealthBucket> Read(ReadOnlySpan<byte> data, string pathId, HealthResolution resolution, long blockStartMs)
    {
        var bucketMs = BucketMs(resolution);
        var slots = (int)(BlockMs(resolution) / bucketMs);
        var bySlot = new PathHealthBucket?[slots];
        var at = 0;
        while (at < data.Length)
        {
            var slot = data[at++];
            if (slot >= slots ||
                !TryReadVarint(data, ref at, out var n) || !TryReadVarint(data, ref at, out var notUp) ||
                !TryReadSigned(data, ref at, out var min) || !TryReadSigned(data, ref at, out var avgDelta) ||
                !TryReadSigned(data, ref at, out var maxDelta) || !TryReadSigned(data, ref at, out var p95Delta) ||
                !TryReadSigned(data, ref at, out var loss) || !TryReadSigned(data, ref at, out var jitter) ||
                !TryReadSigned(data, ref at, out var scoreGap) || !TryReadSigned(data, ref at, out var scoreMinGap))
            {
                break;
            }

            var avg = min + avgDelta;
            var score = 100_000 - scoreGap;
            var bucket = new PathHealthBucket(pathId, DateTimeOffset.FromUnixTimeMilliseconds(blockStartMs + (slot * bucketMs)), resolution,
                (int)n, Milli(avg), Milli(min), Milli(avg + maxDelta), Milli(min + p95Delta), Milli(loss), Milli(jitter),
                Milli(score), Milli(score - scoreMinGap), (int)(n - Math.Min(notUp, n)));
            bySlot[slot] = bySlot[slot] is { } earlier ? earlier.Combine(bucket) : bucket;
        }

        var buckets = new List<PathHealthBucket>();
        foreach (var bucket in bySlot)
        {
            if (bucket is not null)
            {
                buckets.Add(bucket);
            }
        }

        return buckets;
    }

    /// <summary>Encodes whole buckets of one block (in slot order, one record each).</summary>
    public static byte[] Encode(IEnumerable<PathHealthBucket> buckets, long blockStartMs)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var output = new ArrayBufferWriter<byte>(256);
        foreach (var bucket in buckets)
        {
            Write(output, bucket, blockStartMs);
        }

        return output.WrittenSpan.ToArray();
    }

    private static long Micro(double value) => double.IsFinite(value) ? (long)Math.Round(value * 1000, MidpointRounding.AwayFromZero) : 0;

    private static double Milli(long value) => value / 1000.0;

    private static void WriteSigned(Span<byte> span, ref int at, long value) => WriteVarint(span, ref at, (ulong)((value << 1) ^ (value >> 63)));

    private static void WriteVarint(Span<byte> span, ref int at, ulong value)
    {
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
    }

    private static bool TryReadSigned(ReadOnlySpan<byte> data, ref int at, out long value)
    {
        if (!TryReadVarint(data, ref at, out var raw))
        {
            value = 0;
            return false;
        }

        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return true;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < data.Length; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
