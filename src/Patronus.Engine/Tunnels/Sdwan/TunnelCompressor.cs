namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>Per-peer compression setting (<c>Compression: auto|off</c>).</summary>
public enum CompressionMode
{
    /// <summary>LZ4 when it shrinks the packet, backing off while packets do not (<see cref="CompressionBackoff"/>).</summary>
    Auto,

    /// <summary>Never compress.</summary>
    Off,
}

/// <summary>
/// LZ4 for one tunnel between Patronus peers (issue 16 item 2): the sender offers each IP packet
/// and gets a block only when the block is smaller (an incompressible packet is sent as it was,
/// costing 0 extra octets: the data message's Compressed flag is clear and its payload is the
/// packet); it stops trying while the tunnel's packets do not compress (<see cref="CompressionBackoff"/>)
/// and counts everything (<see cref="Counters"/>). The receiver's side is <see cref="TryDecompress"/>.
/// The codec is <see cref="NativeLz4Codec"/> when liblz4 loads (faster in <c>Lz4CodecBenchmarks</c>,
/// docs/tunnels.md), else <see cref="ManagedLz4Codec"/>. Sending is not thread-safe: one sender
/// at a time (the tunnel holds the peer's lock while it sends); counters read from anywhere.
/// </summary>
public sealed class TunnelCompressor
{
    /// <summary>Packets shorter than this are not tried: 32 octets, below which an LZ4 block (tokens, a 4-octet minimum match, 5 trailing literals) cannot win.</summary>
    public const int MinimumSize = 32;

    private readonly CompressionMode _mode;
    private readonly TimeProvider _time;
    private readonly ILz4Codec _codec;
    private CompressionBackoff _backoff;

    /// <summary>A compressor in <paramref name="mode"/>; <paramref name="codec"/> defaults to <see cref="DefaultCodec"/>.</summary>
    public TunnelCompressor(CompressionMode mode, TimeProvider time, ILz4Codec? codec = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _mode = mode;
        _time = time;
        _codec = codec ?? DefaultCodec;
    }

    /// <summary>
    /// The codec tunnels use: liblz4 when it loads, else the managed one. liblz4 compressed 1.7×
    /// (text), 2.1× (random) and 3.1× (172-octet packets) faster than K4os in
    /// <c>Lz4CodecBenchmarks</c>, and decompressed as fast (docs/tunnels.md, "Compression").
    /// </summary>
    public static ILz4Codec DefaultCodec { get; } = NativeLz4Codec.IsAvailable ? NativeLz4Codec.Instance : ManagedLz4Codec.Instance;

    /// <summary>What this tunnel's compression did.</summary>
    public CompressionCounters Counters { get; } = new();

    /// <summary>The back-off state (for the API and tests).</summary>
    public CompressionBackoff Backoff => _backoff;

    /// <summary>
    /// Compresses <paramref name="packet"/> into <paramref name="destination"/> when that is on, not
    /// backed off, and shrinks it: the block's length, always less than the packet's; 0 when the
    /// packet goes as it was (the caller copies it). <paramref name="destination"/> needs
    /// <c>packet.Length - 1</c> octets; a shorter one only lowers the chance of a block.
    /// </summary>
    public int Compress(ReadOnlySpan<byte> packet, Span<byte> destination)
    {
        if (_mode == CompressionMode.Off || packet.Length < MinimumSize)
        {
            Counters.NotTried(packet.Length);
            return 0;
        }

        var now = _time.GetTimestamp();
        if (!_backoff.ShouldTry(now))
        {
            Counters.NotTried(packet.Length);
            return 0;
        }

        // A destination one octet short of the packet: the codec gives up as soon as the block
        // would not be smaller, which is also what makes an incompressible packet cheap to try.
        var room = Math.Min(destination.Length, packet.Length - 1);
        var written = _codec.Compress(packet, destination[..room]);
        _backoff = _backoff.After(written > 0, now, _time.TimestampFrequency);
        if (written > 0)
        {
            Counters.Compressed(packet.Length, written);
            return written;
        }

        Counters.Incompressible(packet.Length);
        return 0;
    }

    /// <summary>
    /// Decompresses a received block into <paramref name="destination"/>, which must be exactly the
    /// original size the data message names; false when the block is malformed or does not
    /// decompress to exactly that size (the message is dropped as malformed).
    /// </summary>
    public bool TryDecompress(ReadOnlySpan<byte> block, Span<byte> destination) =>
        !destination.IsEmpty && _codec.Decompress(block, destination) == destination.Length;
}
