namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>What <see cref="SequenceWindow.Observe"/> made of a sequence number.</summary>
public enum SequenceVerdict
{
    /// <summary>The first seen, or above the highest: new, the window moved.</summary>
    Newest,

    /// <summary>Below the highest, within the window, not seen before: a late (reordered) first copy.</summary>
    Late,

    /// <summary>Seen before, within the window.</summary>
    Duplicate,

    /// <summary>Below the window: whether it was seen is no longer known.</summary>
    TooOld,
}

/// <summary>
/// The sequence numbers seen recently on one stream, 32-bit and wrapping (serial number
/// arithmetic, RFC 1982): a bitmap ring over the <see cref="Size"/> numbers up to the highest
/// seen, like the replay window (RFC 6479) but for sequences that wrap and may restart. Both the
/// duplicate filter and the passive loss estimator read packets through it. One owner, not
/// thread-safe.
/// </summary>
public sealed class SequenceWindow
{
    /// <summary>Sequence numbers remembered below the highest (that one included): 2048.</summary>
    public const int Size = 2048;

    // 64 blocks of 64 bits: more than Size / 64 + 1, and a power of two that divides 2^32, so a
    // block's ring slot stays right across the wrap of the 32-bit sequence.
    private const int RingBlocks = 64;
    private const uint BlockNumberMask = (1u << 26) - 1;

    private readonly ulong[] _ring = new ulong[RingBlocks];
    private bool _started;

    /// <summary>The highest sequence seen (valid once one was).</summary>
    public uint Highest { get; private set; }

    /// <summary>Whether any sequence was seen since creation or <see cref="Restart"/>.</summary>
    public bool Started => _started;

    /// <summary>
    /// How far above the highest seen <paramref name="sequence"/> is, serially: positive when it
    /// would move the window, 0 for the highest itself, negative below (0 before the first).
    /// </summary>
    public int DistanceFromHighest(uint sequence) => _started ? unchecked((int)(sequence - Highest)) : 0;

    /// <summary>Records <paramref name="sequence"/> and says what it was.</summary>
    public SequenceVerdict Observe(uint sequence)
    {
        if (!_started)
        {
            Restart(sequence);
            return SequenceVerdict.Newest;
        }

        var distance = DistanceFromHighest(sequence);
        if (distance > 0)
        {
            // Block numbers live in 2^26 (32 − 6 bits): the difference wraps there, not at 2^32.
            var blocks = ((sequence >> 6) - (Highest >> 6)) & BlockNumberMask;
            var current = Highest >> 6;
            for (uint i = 1; i <= Math.Min(blocks, RingBlocks); i++)
            {
                _ring[(int)((current + i) & (RingBlocks - 1))] = 0;
            }

            Highest = sequence;
            Mark(sequence);
            return SequenceVerdict.Newest;
        }

        if (distance <= -Size)
        {
            return SequenceVerdict.TooOld;
        }

        return Mark(sequence) ? SequenceVerdict.Late : SequenceVerdict.Duplicate;
    }

    /// <summary>Forgets everything and starts again at <paramref name="sequence"/> (seen).</summary>
    public void Restart(uint sequence)
    {
        Array.Clear(_ring);
        _started = true;
        Highest = sequence;
        Mark(sequence);
    }

    /// <summary>Sets the bit of <paramref name="sequence"/>; false when it was set.</summary>
    private bool Mark(uint sequence)
    {
        ref var block = ref _ring[(int)((sequence >> 6) & (RingBlocks - 1))];
        var bit = 1UL << (int)(sequence & 63);
        var fresh = (block & bit) == 0;
        block |= bit;
        return fresh;
    }
}
