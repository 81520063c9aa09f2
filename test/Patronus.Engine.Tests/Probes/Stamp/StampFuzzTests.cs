using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public class StampFuzzTests
{
    private const int Iterations = 100_000;

    [Fact]
    public void TryRead_RandomBuffers_NeverThrows()
    {
        var random = new Random(8762);
        var buffer = new byte[100];
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var span = buffer.AsSpan(0, random.Next(0, 101));
            random.NextBytes(span);
            accepted += StampSenderPacket.TryRead(span, out var s) ? 1 : 0;
            accepted += StampReflectorPacket.TryRead(span, out var r) ? 1 : 0;
            _ = r.TryGetHoldTime(out _);
            _ = s.Timestamp.ToDateTimeOffset();
            _ = r.Timestamp.ToDateTimeOffset(DateTimeOffset.UtcNow);
            _ = r.ErrorEstimate.Seconds;
            Assert.Equal(span.Length >= 44, StampSenderPacket.TryRead(span, out _));
        }

        Assert.True(accepted > 0);
    }

    [Fact]
    public async Task ReflectAndReceive_BitFlippedPackets_NeverThrow()
    {
        using var metrics = new RecordedProbeMetrics();
        await using var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, metrics.Metrics, NullLogger.Instance);
        var factory = new StampProbeSessionFactory(TimeProvider.System, metrics.Metrics, NullLogger<StampProbeSessionFactory>.Instance);
        Assert.True(factory.TryCreate(ProbeTargets.For(reflector.LocalEndPoint), _ => { }, out var session, out var failure), failure);
        await using var owned = session!;
        var stamp = (StampProbeSession)owned;
        var from = reflector.LocalEndPoint.Serialize();

        var random = new Random(4656);
        var sender = new byte[44];
        var reflected = new byte[44];
        new StampSenderPacket(1, new NtpTimestamp(0x1234_5678_9ABC_DEF0), ErrorEstimate.Unsynchronized).TryWrite(sender, out _);
        StampReflectorPacket.TryRead(ReflectedGolden(), out var reflectorPacket);
        reflectorPacket.TryWrite(reflected, out _);
        var work = new byte[100];
        for (var i = 0; i < Iterations; i++)
        {
            var source = (i & 1) == 0 ? sender : reflected;
            var length = random.Next(0, 101);
            var span = work.AsSpan(0, length);
            span.Clear();
            source.AsSpan(0, Math.Min(length, 44)).CopyTo(span);
            for (var flips = random.Next(1, 4); flips > 0 && length > 0; flips--)
            {
                var bit = random.Next(length * 8);
                span[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            reflector.TryReflect(work, length, new NtpTimestamp((ulong)random.NextInt64()), TimeProvider.System.GetTimestamp(), (byte)i, out _);
            stamp.Socket.Dispatch(work.AsSpan(0, length), from.Buffer.Span[..from.Size], TimeProvider.System.GetTimestamp());
        }
    }

    internal static byte[] ReflectedGolden()
    {
        var bytes = new byte[44];
        new StampReflectorPacket(9, new NtpTimestamp(5, 6), ErrorEstimate.Unsynchronized, new NtpTimestamp(5, 5), 9, new NtpTimestamp(4, 4), ErrorEstimate.Unsynchronized, 64).TryWrite(bytes, out _);
        return bytes;
    }
}
