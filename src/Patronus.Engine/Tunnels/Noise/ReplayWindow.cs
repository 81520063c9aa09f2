namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// The receive-side sliding window of one session (RFC 6479, as WireGuard uses it, whitepaper
/// §5.4.6): a ring of 64-bit blocks; a counter above the highest seen moves the window and
/// clears the blocks it skips, a counter within <see cref="WindowSize"/> below the highest is
/// accepted once, older ones are rejected. Call <see cref="TryAccept"/> only after the packet
/// authenticated, so a forged counter cannot move the window. Owned by one receiver: not
/// thread-safe.
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>Counters accepted below the highest seen (that one included).</summary>
    public const int WindowSize = 2048;

    /// <summary>Counters at or above this are never accepted (REJECT_AFTER_MESSAGES, 2^64 − 2^13 − 1).</summary>
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13);

    private const int BlockBitsLog = 6;
    private const int BlockBits = 1 << BlockBitsLog;

    // A power of two above WindowSize / 64 + 1, so the blocks of the window never alias in the ring.
    private const int RingBlocks = 64;

    private readonly ulong[] _ring = new ulong[RingBlocks];
    private ulong _highest;

    /// <summary>The highest counter accepted so far (0 before any).</summary>
    public ulong Highest => _highest;

    /// <summary>Accepts <paramref name="counter"/> unless it was seen, is too old, or is at the limit.</summary>
    public bool TryAccept(ulong counter)
    {
        if (counter >= RejectAfterMessages)
        {
            return false;
        }

        var block = counter >> BlockBitsLog;
        if (counter > _highest)
        {
            var current = _highest >> BlockBitsLog;
            var skipped = Math.Min(block - current, RingBlocks);
            for (ulong i = 1; i <= skipped; i++)
            {
                _ring[(int)((current + i) & (RingBlocks - 1))] = 0;
            }

            _highest = counter;
        }
        else if (_highest - counter >= WindowSize)
        {
            return false;
        }

        var index = (int)(block & (RingBlocks - 1));
        var bit = 1UL << (int)(counter & (BlockBits - 1));
        if ((_ring[index] & bit) != 0)
        {
            return false;
        }

        _ring[index] |= bit;
        return true;
    }
}
