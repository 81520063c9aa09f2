namespace Patronus.Engine.Loops;

/// <summary>
/// One reading of the engine's two clocks. <see cref="Elapsed"/> is monotonic time
/// (<see cref="TimeProvider.GetTimestamp"/>) since the owning loop's <see cref="LoopClock"/> was
/// made: every schedule, window, timeout, hold-down and delay is kept and compared on it, so a step
/// of the wall clock (NTP, an operator, a VM resumed) neither expires nor postpones anything.
/// <see cref="Wall"/> is the UTC time read at the same moment, and only stamps records (samples,
/// events) and answers the API.
/// </summary>
/// <param name="Elapsed">Monotonic time since the loop's origin.</param>
/// <param name="Wall">The wall clock (UTC).</param>
public readonly record struct LoopTime(TimeSpan Elapsed, DateTimeOffset Wall)
{
    /// <summary>
    /// Another instant of the same loop's monotonic clock as the wall clock reads now (for the
    /// API: "held until 12:05"); clamped to the range of <see cref="DateTimeOffset"/>.
    /// </summary>
    public DateTimeOffset WallOf(TimeSpan elapsed)
    {
        // Int128: neither the difference of two TimeSpans nor its sum with the wall ticks overflows.
        var ticks = (Int128)Wall.UtcTicks + elapsed.Ticks - Elapsed.Ticks;
        return ticks > DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue
            : ticks < DateTimeOffset.MinValue.UtcTicks ? DateTimeOffset.MinValue
            : new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }

    /// <summary><see cref="WallOf(TimeSpan)"/> of an optional instant.</summary>
    public DateTimeOffset? WallOf(TimeSpan? elapsed) => elapsed is { } e ? WallOf(e) : null;

    /// <summary><paramref name="at"/> + <paramref name="span"/>, clamped to the range of <see cref="TimeSpan"/> instead of throwing (extreme configured delays).</summary>
    public static TimeSpan Add(TimeSpan at, TimeSpan span) => Clamp((Int128)at.Ticks + span.Ticks);

    /// <summary><paramref name="to"/> − <paramref name="from"/>, clamped to the range of <see cref="TimeSpan"/> instead of throwing.</summary>
    public static TimeSpan Between(TimeSpan from, TimeSpan to) => Clamp((Int128)to.Ticks - from.Ticks);

    private static TimeSpan Clamp(Int128 ticks) =>
        ticks > TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue
        : ticks < TimeSpan.MinValue.Ticks ? TimeSpan.MinValue
        : TimeSpan.FromTicks((long)ticks);
}

/// <summary>
/// Reads a loop's <see cref="LoopTime"/> from a <see cref="TimeProvider"/>: monotonic time counted
/// from this object's creation (small, exact values rather than raw timestamps, whose frequency
/// differs between providers), and the wall clock. One per loop; its instants mean nothing to
/// another loop.
/// </summary>
public sealed class LoopClock
{
    private readonly long _origin;

    public LoopClock(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
        _origin = time.GetTimestamp();
    }

    /// <summary>The provider both clocks are read from (timers and delays go through it too).</summary>
    public TimeProvider Time { get; }

    /// <summary>Monotonic time since this clock was made.</summary>
    public TimeSpan Elapsed => Time.GetElapsedTime(_origin);

    /// <summary>Both clocks, read now.</summary>
    public LoopTime Now => new(Elapsed, Time.GetUtcNow());
}
