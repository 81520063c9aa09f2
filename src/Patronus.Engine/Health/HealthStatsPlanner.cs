namespace Patronus.Engine.Health;

/// <summary>One contiguous part of a stats read: [From, Until) at one level.</summary>
public readonly record struct HealthStatsSegment(HealthResolution Resolution, DateTimeOffset From, DateTimeOffset Until);

/// <summary>
/// A stats read: the segments to read, in time order, and the level that answers
/// (<see cref="PathHealthStats.Resolution"/>): the coarsest level among the segments, or the chosen
/// level when nothing of the period is retained.
/// </summary>
public sealed record HealthStatsPlan(HealthResolution Resolution, IReadOnlyList<HealthStatsSegment> Segments);

/// <summary>
/// Lays out which stored levels cover a stats period. The level is
/// <see cref="HealthHistory.Plan"/>'s auto choice for the period (10-second buckets up to 6 h, 1-minute
/// buckets up to 7 days, 1-hour buckets beyond, coarser where retention has expired the start). A bucket
/// level contributes only whole buckets inside the period and only those already written (10 s: up
/// to now; rollups: up to the newest rolled up), so:
/// <list type="bullet">
/// <item>the partial bucket at each edge of the period (a day starting at 12:34:56.789 begins 3.2 s
/// before its first whole minute) comes from the next finer level, recursively down to raw (which
/// holds nothing unless raw samples are recorded: then those few seconds are a gap);</item>
/// <item>the newest buckets, not rolled up yet (the current hour, the last minute or two), come from
/// finer levels too — a month's stats include the outage of ten minutes ago;</item>
/// <item>a part whose level has already expired it (by retention) is left out: it is a gap.</item>
/// </list>
/// The segments tile the period without overlap, so nothing is counted twice.
/// </summary>
public static class HealthStatsPlanner
{
    /// <param name="from">Start of the period.</param>
    /// <param name="until">End of the period, after <paramref name="from"/>.</param>
    /// <param name="now">The current time (retention is relative to it).</param>
    /// <param name="retention">How long each level is kept.</param>
    /// <param name="minuteRolledUpUntil">End of the newest 1-minute bucket of any path (null: none yet).</param>
    /// <param name="hourRolledUpUntil">End of the newest 1-hour bucket of any path (null: none yet).</param>
    public static HealthStatsPlan Plan(DateTimeOffset from, DateTimeOffset until, DateTimeOffset now, HealthPersistenceOptions retention,
        DateTimeOffset? minuteRolledUpUntil, DateTimeOffset? hourRolledUpUntil)
    {
        ArgumentNullException.ThrowIfNull(retention);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(until, from);
        var resolution = HealthHistory.Plan(from, until, requested: null, now, retention).Resolution;
        var segments = new List<HealthStatsSegment>();
        Add(resolution, from, until);
        // Report the level that answered: with no rollups yet, a day's stats all come from raw samples.
        return new HealthStatsPlan(segments.Count == 0 ? resolution : segments.Max(s => s.Resolution), segments);

        void Add(HealthResolution level, DateTimeOffset start, DateTimeOffset end)
        {
            var oldest = now - retention.RetentionOf(level);
            if (start >= end || end <= oldest)
            {
                return;
            }

            if (level == HealthResolution.Raw)
            {
                segments.Add(new(level, start < oldest ? oldest : start, end));
                return;
            }

            var size = level.BucketSize();
            var first = Ceiling(start, size);
            var last = Floor(end, size);
            // Buckets past the newest rolled-up one do not exist yet (nothing rolled up: none do).
            // 10-second buckets are written by the recorder as each ends, so they reach up to now.
            var rolledUp = level switch
            {
                HealthResolution.Minute => minuteRolledUpUntil,
                HealthResolution.Hour => hourRolledUpUntil,
                _ => now,
            };
            var done = rolledUp is { } r ? Floor(r, size) : first;
            if (done < last)
            {
                last = done;
            }

            if (first >= last)
            {
                Add(level - 1, start, end);
                return;
            }

            Add(level - 1, start, first);
            segments.Add(new(level, first, last));
            Add(level - 1, last, end);
        }
    }

    private static DateTimeOffset Floor(DateTimeOffset t, TimeSpan size)
    {
        var ticks = t.UtcTicks - (t.UtcTicks % size.Ticks);
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset Ceiling(DateTimeOffset t, TimeSpan size)
    {
        var floor = Floor(t, size);
        return floor == t ? floor : floor + size;
    }
}
