namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// Whether a tunnel's sender tries LZ4 on the next packet, and how that changes after a packet
/// did or did not shrink: a pure decision (state in, state out) so it is table-tested, with the
/// time passed in as <see cref="TimeProvider"/> timestamps (the monotonic clock).
/// Why: LZ4 on a packet that does not shrink (encrypted or already-compressed traffic) costs CPU
/// for nothing; a tunnel whose recent packets did not compress stops trying for a while.
/// Hysteresis: trying (level 0), <see cref="MissesBeforeBackoff"/> packets in a row that did not
/// shrink back off for <see cref="FirstBackoff"/>; when the back-off ends the sender probes, and
/// <see cref="ProbeMisses"/> misses in a row back off again for twice as long, up to
/// <see cref="MaxBackoff"/>; one packet that shrinks (trying or probing) returns to level 0.
/// </summary>
/// <param name="Misses">Packets in a row that did not shrink, at this level.</param>
/// <param name="Level">0 while trying; n ≥ 1 after the n-th back-off in a row.</param>
/// <param name="RetryAt">Timestamp when the current back-off ends (level ≥ 1).</param>
public readonly record struct CompressionBackoff(int Misses, int Level, long RetryAt)
{
    /// <summary>Misses in a row at level 0 before the first back-off: 16, so a burst of a few incompressible packets in a compressible stream does not stop it.</summary>
    public const int MissesBeforeBackoff = 16;

    /// <summary>Misses in a row while probing before the next, longer back-off: 4 (a probe costs a few packets' LZ4, not a burst).</summary>
    public const int ProbeMisses = 4;

    /// <summary>Highest level: back-offs of 1, 2, 4 … 64 s.</summary>
    public const int MaxLevel = 7;

    /// <summary>The first back-off: 1 s, short enough that a stream turning compressible is soon noticed.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off: 64 s, so a tunnel carrying only encrypted traffic probes about once a minute.</summary>
    public static TimeSpan MaxBackoff => FirstBackoff * (1 << (MaxLevel - 1));

    /// <summary>Whether to try compressing a packet sent at <paramref name="now"/>.</summary>
    public bool ShouldTry(long now) => Level == 0 || now >= RetryAt;

    /// <summary>
    /// The state after a packet was tried at <paramref name="now"/> and did (<paramref name="shrank"/>)
    /// or did not shrink; <paramref name="frequency"/> is the clock's <see cref="TimeProvider.TimestampFrequency"/>.
    /// </summary>
    public CompressionBackoff After(bool shrank, long now, long frequency)
    {
        if (shrank)
        {
            return default;
        }

        var misses = Misses + 1;
        if (misses < (Level == 0 ? MissesBeforeBackoff : ProbeMisses))
        {
            return this with { Misses = misses };
        }

        var level = Math.Min(Level + 1, MaxLevel);
        var seconds = (long)FirstBackoff.TotalSeconds << (level - 1);
        return new CompressionBackoff(0, level, now + (seconds * frequency));
    }
}
