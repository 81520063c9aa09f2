using System.Text;
using BenchmarkDotNet.Attributes;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Bench.Micro;

/// <summary>
/// LZ4 on one tunnel packet, K4os.Compression.LZ4 (managed) against liblz4 (P/Invoke), to keep
/// the faster for <see cref="TunnelCompressor"/> (issue 16 item 2). Packets as a tunnel sees them:
/// an IPv4/TCP packet of JSON text (1400 B), one of random octets (1400 B: encrypted or already
/// compressed traffic), and a small voice-like IPv4/UDP/RTP packet (172 B). Compression gets a
/// destination one octet shorter than the packet, as the tunnel does (a block only when it shrinks).
/// Up to 200 iterations of 100 ms (MicroConfig's 60 of 500 ms left errors of 15–30 % of the mean
/// on a loaded box, and 200 of 500 ms exceed the in-process toolchain's time limit).
/// </summary>
[MaxIterationCount(200)]
[IterationTime(100)]
public class Lz4CodecBenchmarks
{
    private byte[] _packet = [];
    private byte[] _block = [];
    private readonly byte[] _destination = new byte[2048];

    /// <summary>The packet kind.</summary>
    [Params("json1400", "random1400", "small172")]
    public string Packet { get; set; } = "json1400";

    [GlobalSetup]
    public void Setup()
    {
        _packet = Make(Packet);

        // A block for the decompression runs even when the packet does not shrink (full bound).
        var block = new byte[4096];
        var n = ManagedLz4Codec.Instance.Compress(_packet, block);
        _block = block[..n];
    }

    [Benchmark(Baseline = true)]
    public int ManagedCompress() => ManagedLz4Codec.Instance.Compress(_packet, _destination.AsSpan(0, _packet.Length - 1));

    [Benchmark]
    public int NativeCompress() => NativeLz4Codec.Instance.Compress(_packet, _destination.AsSpan(0, _packet.Length - 1));

    [Benchmark]
    public int ManagedDecompress() => ManagedLz4Codec.Instance.Decompress(_block, _destination.AsSpan(0, _packet.Length));

    [Benchmark]
    public int NativeDecompress() => NativeLz4Codec.Instance.Decompress(_block, _destination.AsSpan(0, _packet.Length));

    internal static byte[] Make(string kind)
    {
        var random = new Random(16);
        switch (kind)
        {
            case "json1400":
                {
                    var packet = new byte[1400];
                    Header(packet, protocol: 6, headerLength: 40);
                    var text = new StringBuilder();
                    for (var i = 0; text.Length < 1400; i++)
                    {
                        text.Append("{\"id\":").Append(1000 + (i * 37)).Append(",\"site\":\"branch-").Append(i % 7)
                            .Append("\",\"latencyMs\":").Append(random.Next(5, 80)).Append('.').Append(random.Next(10, 99))
                            .Append(",\"status\":\"").Append(i % 5 == 0 ? "degraded" : "up").Append("\"},");
                    }

                    Encoding.ASCII.GetBytes(text.ToString(), 0, 1360, packet, 40);
                    return packet;
                }

            case "random1400":
                {
                    var packet = new byte[1400];
                    random.NextBytes(packet);
                    Header(packet, protocol: 6, headerLength: 40);
                    return packet;
                }

            default:
                {
                    // IPv4 (20) + UDP (8) + RTP (12) + 132 octets of encoded audio (random).
                    var packet = new byte[172];
                    random.NextBytes(packet);
                    Header(packet, protocol: 17, headerLength: 28);
                    packet[28] = 0x80;
                    packet[29] = 0x00;
                    return packet;
                }
        }
    }

    private static void Header(byte[] packet, byte protocol, int headerLength)
    {
        Array.Clear(packet, 0, headerLength);
        packet[0] = 0x45;
        packet[2] = (byte)(packet.Length >> 8);
        packet[3] = (byte)packet.Length;
        packet[8] = 64;
        packet[9] = protocol;
        packet[12] = 10;
        packet[13] = 1;
        packet[15] = 20;
        packet[16] = 10;
        packet[17] = 2;
        packet[19] = 30;
        packet[20] = 0xc3;
        packet[21] = 0x50;
        packet[22] = 0x01;
        packet[23] = 0xbb;
    }
}
