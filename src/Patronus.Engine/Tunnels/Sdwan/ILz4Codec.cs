namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// LZ4 block compression of one packet into a caller's buffer (docs/tunnels.md, "Compression").
/// Two implementations exist because the issue asked to measure both and keep the faster:
/// <see cref="ManagedLz4Codec"/> (K4os.Compression.LZ4) and <see cref="NativeLz4Codec"/>
/// (Debian's liblz4 through P/Invoke); <see cref="TunnelCompressor"/> uses the one
/// <c>Lz4CodecBenchmarks</c> showed faster. Both produce and accept the same LZ4 block format.
/// Neither throws on bad input: a failure is a return value.
/// </summary>
public interface ILz4Codec
{
    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>: the octets written,
    /// or 0 when the block does not fit (a destination one octet shorter than the source therefore
    /// yields a block only when compression shrinks the packet).
    /// </summary>
    int Compress(ReadOnlySpan<byte> source, Span<byte> destination);

    /// <summary>
    /// Decompresses the block <paramref name="source"/> into <paramref name="destination"/>: the
    /// octets written, or -1 when the block is malformed or needs more room than the destination.
    /// </summary>
    int Decompress(ReadOnlySpan<byte> source, Span<byte> destination);
}
