namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// What a tunnel's compression did, counted by its sender and read by the API and <c>/metrics</c>
/// from any thread: the ratio shown is measured from these (bytes before / bytes after), never
/// claimed. Every packet the sender offered is in exactly one of the three packet counters.
/// </summary>
public sealed class CompressionCounters
{
    private long _bytesBefore;
    private long _bytesAfter;
    private long _compressed;
    private long _incompressible;
    private long _notTried;

    /// <summary>Octets of the packets offered, before compression.</summary>
    public long BytesBefore => Volatile.Read(ref _bytesBefore);

    /// <summary>Octets of the payloads sent for them: compressed blocks, or the packets as they were.</summary>
    public long BytesAfter => Volatile.Read(ref _bytesAfter);

    /// <summary>Packets sent compressed (the block was smaller).</summary>
    public long PacketsCompressed => Volatile.Read(ref _compressed);

    /// <summary>Packets tried that did not shrink, sent as they were.</summary>
    public long PacketsIncompressible => Volatile.Read(ref _incompressible);

    /// <summary>Packets not tried: compression off, too small, or backed off.</summary>
    public long PacketsNotTried => Volatile.Read(ref _notTried);

    /// <summary>Packets sent uncompressed (<see cref="PacketsIncompressible"/> + <see cref="PacketsNotTried"/>).</summary>
    public long PacketsSkipped => PacketsIncompressible + PacketsNotTried;

    /// <summary>Bytes before over bytes after: 1.0 when nothing was sent or nothing shrank.</summary>
    public double Ratio
    {
        get
        {
            var after = BytesAfter;
            return after == 0 ? 1.0 : (double)BytesBefore / after;
        }
    }

    internal void Compressed(int before, int after) => Count(ref _compressed, before, after);

    internal void Incompressible(int size) => Count(ref _incompressible, size, size);

    internal void NotTried(int size) => Count(ref _notTried, size, size);

    private void Count(ref long packets, int before, int after)
    {
        Interlocked.Increment(ref packets);
        Interlocked.Add(ref _bytesBefore, before);
        Interlocked.Add(ref _bytesAfter, after);
    }
}
