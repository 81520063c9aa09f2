using System.Runtime.InteropServices;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// LZ4 blocks by the reference C library (<c>liblz4.so.1</c>, on every Debian machine), called
/// through P/Invoke: <c>LZ4_compress_default</c> and <c>LZ4_decompress_safe</c>, which bounds
/// every read and write by the sizes it is given. Loaded by its full soname: "lz4" and
/// "liblz4.so" resolve only with the -dev package installed.
/// </summary>
public sealed class NativeLz4Codec : ILz4Codec
{
    private const string Library = "liblz4.so.1";

    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    });

    /// <summary>The one instance (the codec keeps no state).</summary>
    public static NativeLz4Codec Instance { get; } = new();

    /// <summary>Whether <c>liblz4.so.1</c> loads on this machine; calls fail with <see cref="DllNotFoundException"/> when not.</summary>
    public static bool IsAvailable => s_available.Value;

    /// <inheritdoc/>
    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty || destination.IsEmpty)
        {
            return 0;
        }

        // Returns 0 when the block does not fit in dstCapacity (it stops early, no overrun).
        return CompressDefault(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), source.Length, destination.Length);
    }

    /// <inheritdoc/>
    public int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty || destination.IsEmpty)
        {
            return -1;
        }

        var written = DecompressSafe(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), source.Length, destination.Length);
        return written >= 0 ? written : -1;
    }

    [DllImport(Library, EntryPoint = "LZ4_compress_default")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int CompressDefault(ref byte source, ref byte destination, int sourceSize, int destinationCapacity);

    [DllImport(Library, EntryPoint = "LZ4_decompress_safe")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int DecompressSafe(ref byte source, ref byte destination, int compressedSize, int destinationCapacity);
}
