using Microsoft.Extensions.Time.Testing;

namespace Patronus.TestSupport;

/// <summary>
/// A fake clock whose wall clock can be stepped while monotonic time runs on undisturbed, as NTP
/// or an operator steps a real machine's clock: <see cref="StepWallClock"/> moves
/// <see cref="GetUtcNow"/> only; <see cref="GetTimestamp"/> and every timer
/// (<c>Task.Delay</c>, <c>PeriodicTimer</c>, <c>CancellationTokenSource</c>) follow
/// <see cref="Advance"/> only.
/// </summary>
/// <remarks>
/// <c>FakeTimeProvider</c> ties both clocks together (its timestamp is its UTC time in ticks), and
/// cannot be subclassed to split them: its timers compute their wake-up time from the virtual
/// <c>GetUtcNow</c>. So this wraps one instead, and delegates the monotonic clock and the timers
/// to it. Not thread-safe against concurrent <see cref="Advance"/> calls (neither is the clock
/// underneath); reads from other threads are fine.
/// </remarks>
public sealed class SteppableTimeProvider : TimeProvider
{
    /// <summary>Default start: 2026-12-01T12:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _monotonic = new();
    private long _wallOffsetTicks;

    /// <summary>A clock whose wall time starts at <see cref="DefaultStart"/>.</summary>
    public SteppableTimeProvider()
        : this(DefaultStart)
    {
    }

    /// <summary>A clock whose wall time starts at <paramref name="start"/>.</summary>
    public SteppableTimeProvider(DateTimeOffset start)
    {
        _monotonic.SetUtcNow(start);
    }

    /// <summary>How far the wall clock has been stepped in total (zero until <see cref="StepWallClock"/>).</summary>
    public TimeSpan WallClockOffset => TimeSpan.FromTicks(Interlocked.Read(ref _wallOffsetTicks));

    /// <summary>The wall clock: monotonic time plus every step so far.</summary>
    public override DateTimeOffset GetUtcNow() => _monotonic.GetUtcNow() + WallClockOffset;

    /// <summary>Monotonic time, never moved by <see cref="StepWallClock"/>.</summary>
    public override long GetTimestamp() => _monotonic.GetTimestamp();

    /// <inheritdoc />
    public override long TimestampFrequency => _monotonic.TimestampFrequency;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _monotonic.LocalTimeZone;

    /// <summary>A timer on monotonic time: fired by <see cref="Advance"/>, never by a wall-clock step.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _monotonic.CreateTimer(callback, state, dueTime, period);

    /// <summary>
    /// Lets time pass: both clocks move by <paramref name="delta"/>, and due timers fire in due
    /// order on the calling thread (as <c>FakeTimeProvider.Advance</c> does).
    /// </summary>
    public void Advance(TimeSpan delta) => _monotonic.Advance(delta);

    /// <summary>
    /// Steps the wall clock by <paramref name="step"/> (forward or back) without any time passing:
    /// <see cref="GetTimestamp"/> does not move and no timer fires.
    /// </summary>
    public void StepWallClock(TimeSpan step) => Interlocked.Add(ref _wallOffsetTicks, step.Ticks);

    /// <inheritdoc />
    public override string ToString() => $"{GetUtcNow():O} (wall clock stepped by {WallClockOffset})";
}
