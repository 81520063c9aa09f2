using K4os.Compression.LZ4;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// LZ4 blocks by K4os.Compression.LZ4 (managed, the fast level): no native dependency, so it
/// works wherever .NET does.
/// </summary>
public sealed class ManagedLz4Codec : ILz4Codec
{
    /// <summary>The one instance (the codec keeps no state).</summary>
    public static ManagedLz4Codec Instance { get; } = new();

    /// <inheritdoc/>
    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty || destination.IsEmpty)
        {
            return 0;
        }

        var written = LZ4Codec.Encode(source, destination, LZ4Level.L00_FAST);
        return written > 0 ? written : 0;
    }

    /// <inheritdoc/>
    public int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            return -1;
        }

        var written = LZ4Codec.Decode(source, destination);
        return written >= 0 ? written : -1;
    }
}
