using BenchmarkDotNet.Attributes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Bench.Micro;

/// <summary>STAMP codecs (RFC 8762 §4.2.1, §4.3.1) on caller buffers: what each probe and reply costs to encode and decode.</summary>
public class StampPacketBenchmarks
{
    private readonly byte[] _buffer = new byte[StampReflectorPacket.Size];
    private readonly byte[] _sender = new byte[StampSenderPacket.Size];
    private readonly byte[] _reflector = new byte[StampReflectorPacket.Size];
    private StampSenderPacket _senderPacket;
    private StampReflectorPacket _reflectorPacket;

    [GlobalSetup]
    public void Setup()
    {
        var now = NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        _senderPacket = new StampSenderPacket(42, now, ErrorEstimate.Unsynchronized);
        _senderPacket.TryWrite(_sender, out _);
        _reflectorPacket = new StampReflectorPacket(42, now, ErrorEstimate.Unsynchronized, now, 42, now, ErrorEstimate.Unsynchronized, 64);
        _reflectorPacket.TryWrite(_reflector, out _);
    }

    [Benchmark]
    public int SenderTryWrite()
    {
        _senderPacket.TryWrite(_buffer, out var written);
        return written;
    }

    [Benchmark]
    public uint SenderTryRead() => StampSenderPacket.TryRead(_sender, out var p) ? p.Sequence : 0;

    [Benchmark]
    public int ReflectorTryWrite()
    {
        _reflectorPacket.TryWrite(_buffer, out var written);
        return written;
    }

    [Benchmark]
    public uint ReflectorTryRead() => StampReflectorPacket.TryRead(_reflector, out var p) ? p.SenderSequence : 0;
}
