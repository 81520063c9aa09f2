namespace Patronus.Engine.Health;

/// <summary>
/// Chooses where a history query reads from. With "auto" (<c>requested</c> null) the resolution
/// follows the span so a chart gets a few hundred to a few thousand points per path:
/// <list type="bullet">
/// <item>span ≤ 6 h → <see cref="HealthResolution.TenSeconds"/> (≤ 2,160 buckets; the last hour's chart is 360);</item>
/// <item>span ≤ 7 days → <see cref="HealthResolution.Minute"/> (≤ 10,080 buckets);</item>
/// <item>longer → <see cref="HealthResolution.Hour"/> (400 days = 9,600 buckets).</item>
/// </list>
/// Raw samples (opt-in, <see cref="HealthPersistenceOptions.RawSamples"/>) are read only when asked for.
/// Then retention: a level whose retention no longer reaches back to <c>from</c> is skipped for
/// the next coarser one (3 h from two days ago come from minutes, 10-second buckets being kept 24 h), and
/// <c>from</c> is clamped to the oldest time the chosen level still holds. An explicitly requested
/// resolution is kept and only clamped. Rollup levels lag: the newest complete minute (hour)
/// appears after the next rollup pass, so a caller may fill the tail from a finer level.
/// </summary>
public static class HealthHistory
{
    /// <summary>Longest span read from 10-second buckets in auto mode.</summary>
    public static readonly TimeSpan TenSecondMaxSpan = TimeSpan.FromHours(6);

    /// <summary>Longest span read from 1-minute buckets in auto mode.</summary>
    public static readonly TimeSpan MinuteMaxSpan = TimeSpan.FromDays(7);

    /// <summary>The resolution for a span by size alone (no retention).</summary>
    public static HealthResolution ResolutionFor(TimeSpan span) =>
        span <= TenSecondMaxSpan ? HealthResolution.TenSeconds
        : span <= MinuteMaxSpan ? HealthResolution.Minute
        : HealthResolution.Hour;

    /// <summary>The resolution for [<paramref name="from"/>, <paramref name="until"/>) by its span alone (no retention; see <see cref="Plan"/>).</summary>
    public static HealthResolution ChooseResolution(DateTimeOffset from, DateTimeOffset until) => ResolutionFor(until - from);

    /// <summary>
    /// Plans a read of [<paramref name="from"/>, <paramref name="until"/>) at <paramref name="now"/>.
    /// The result's range is empty (From == Until) when nothing of it is still retained.
    /// </summary>
    public static HealthHistoryQuery Plan(DateTimeOffset from, DateTimeOffset until, HealthResolution? requested, DateTimeOffset now, HealthPersistenceOptions retention)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (until < from)
        {
            throw new ArgumentException("until is before from", nameof(until));
        }

        var resolution = requested ?? ResolutionFor(until - from);
        if (requested is null)
        {
            // Step up while this level has already expired the start of the range.
            while (resolution != HealthResolution.Hour && from < now - retention.RetentionOf(resolution))
            {
                resolution++;
            }
        }

        var oldest = now - retention.RetentionOf(resolution);
        var clampedFrom = from < oldest ? oldest : from;
        return clampedFrom >= until
            ? new HealthHistoryQuery(resolution, until, until)
            : new HealthHistoryQuery(resolution, clampedFrom, until);
    }
}

/// <summary>A planned history read: the level to read and the part of the range it still holds.</summary>
public readonly record struct HealthHistoryQuery(HealthResolution Resolution, DateTimeOffset From, DateTimeOffset Until)
{
    public bool IsEmpty => From >= Until;
}
