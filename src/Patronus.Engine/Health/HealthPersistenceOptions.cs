using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Health;

/// <summary>
/// How health history reaches the store and how long it stays (config section
/// <c>Health:Persistence</c>). Sized for 10,000 paths sampled once a second.
/// </summary>
public sealed class HealthPersistenceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Health:Persistence";

    /// <summary>
    /// Samples queued between the monitor and the store. Default 100,000: 10,000 paths × 1 sample/s
    /// × 10 s, so a store that stalls for up to 10 s loses nothing; beyond that the oldest samples
    /// are dropped (and counted) and probing never waits. ~100 bytes a sample: ~10 MB when full.
    /// Without raw samples the queue is emptied into the 10-second buckets every flush, whatever the
    /// store does; the same capacity then bounds the finished buckets waiting for the store (100 s
    /// of 10,000 paths' buckets, ~15 MB when full).
    /// </summary>
    [Range(1, 10_000_000)]
    public int SampleQueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// Status events queued between the monitor and the store. Default 10,000: one transition of
    /// every one of 10,000 paths at once (a site-wide outage) fits.
    /// </summary>
    [Range(1, 1_000_000)]
    public int EventQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// How often queued samples and events are written, one transaction per batch. Default 250 ms:
    /// a crash (kill -9) loses at most this much plus one write, so under a second of history (with
    /// 1 s it lost 1–2 s under load); four small transactions a second cost little.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Most samples (and, separately, events) written in one transaction. Default 20,000: two seconds
    /// of 10,000 paths, so after a stall the backlog drains at eight times the arrival rate (a batch
    /// every 250 ms) while a batch stays a bounded transaction (measured ~0.4 s for 20,000 samples
    /// on SQLite on the dev box).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 20_000;

    /// <summary>
    /// Attempts at writing one batch (retried each flush interval) before it is dropped and counted.
    /// Default 5: rides out a few seconds of a store restart or failover without letting one
    /// poisoned batch hold back the queue forever.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxWriteAttempts { get; set; } = 5;

    /// <summary>How long shutdown may spend writing what is still queued. Default 5 s (well inside the host's default 30 s shutdown).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often 1-minute and 1-hour rollups and retention run. Default 1 min (each completed minute is rolled up within a minute).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Also store every raw sample (<c>sdwan_path_health</c>, one row per path per sample interval).
    /// Default false: at 10,000 paths and 1 s that is 3.2 GB an hour and about as much CPU again as
    /// probing (docs/performance.md, History storage); the 10-second buckets carry the same
    /// avg/min/max/p95, loss, jitter and uptime for charts and stats. Turn on to troubleshoot a few
    /// paths' second-by-second behaviour, or to get exact p95 stats (ranked over raw samples) for
    /// periods raw retention still holds.
    /// </summary>
    public bool RawSamples { get; set; }

    /// <summary>
    /// Raw samples (when <see cref="RawSamples"/> is on, or written by an older release) are kept this
    /// long. Default 24 h: the last day in full detail for troubleshooting.
    /// </summary>
    [Range(typeof(TimeSpan), "00:10:00", "3650.00:00:00")]
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// 10-second buckets are kept this long. Default 24 h: the last hour's chart at 10 s (360 points)
    /// and a day of incident review at 10 s, for 2.2 GB at 10,000 paths (docs/storage.md, measured).
    /// </summary>
    [Range(typeof(TimeSpan), "00:10:00", "3650.00:00:00")]
    public TimeSpan TenSecondRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>1-minute rollups are kept this long. Default 7 days: a week of incident review at minute resolution.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "3650.00:00:00")]
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>1-hour rollups are kept this long. Default 400 days: a year plus a month, for year-over-year capacity planning.</summary>
    [Range(typeof(TimeSpan), "02:00:00", "3650.00:00:00")]
    public TimeSpan HourRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>
    /// Path status events (up/degraded/down transitions) are kept this long, deleted by the rollup
    /// pass like samples. Default 30 days: a month of incident timelines; a flapping path writes an
    /// event per transition, so without a bound the table grows with every flap. At least 1 h.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Retention of <paramref name="resolution"/>.</summary>
    public TimeSpan RetentionOf(HealthResolution resolution) => resolution switch
    {
        HealthResolution.Minute => MinuteRetention,
        HealthResolution.Hour => HourRetention,
        HealthResolution.TenSeconds => TenSecondRetention,
        _ => RawRetention,
    };
}

/// <summary>
/// Validates <see cref="HealthPersistenceOptions"/> as a whole: every range, plus the rules that
/// span fields. Rollups are built from the finer level, so each level must outlive the bucket it
/// feeds (raw and 10-second buckets ≥ 10 min, minutes ≥ 2 h) with room for late rows, and coarser levels are kept at
/// least as long as finer ones (otherwise the coarse history would end before the detailed one).
/// </summary>
public sealed class HealthPersistenceOptionsValidator() : OptionsSectionValidator<HealthPersistenceOptions>(HealthPersistenceOptions.Section)
{
    /// <inheritdoc/>
    protected override void ValidateRules(HealthPersistenceOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (options.MinuteRetention < options.RawRetention)
        {
            failures.Add($"{Section}: MinuteRetention ({options.MinuteRetention}) must be at least RawRetention ({options.RawRetention})");
        }
        else if (options.MinuteRetention < options.TenSecondRetention)
        {
            failures.Add($"{Section}: MinuteRetention ({options.MinuteRetention}) must be at least TenSecondRetention ({options.TenSecondRetention})");
        }

        if (options.HourRetention < options.MinuteRetention)
        {
            failures.Add($"{Section}: HourRetention ({options.HourRetention}) must be at least MinuteRetention ({options.MinuteRetention})");
        }
    }
}
