using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Health;

/// <summary>
/// Probe timing and measurement window (config section <c>Health</c>). The defaults detect a
/// blackout within about 0.3 s of the first probe it swallows: a probe times out after at most
/// <see cref="MinTimeout"/> on a fast path, the path is then probed every <see cref="FastInterval"/>,
/// and two lost probes in a 30-probe window already cost the seed's formula more than 50 points.
/// </summary>
public sealed class HealthOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Health";

    /// <summary>
    /// Probe interval per target while the path is stable. Default 500 ms: the first probe a blackout
    /// swallows leaves at most one interval after the cut, and detection takes ~0.2 s after it, so
    /// 500 ms keeps the worst case (~0.75 s) under the 1 s our SPEC promises; 1 s could not (1.2 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Interval after a missed reply, until the target is confirmed up or down. Default 100 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FastInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Shortest probe timeout. The timeout adapts to the path like TCP's RTO (smoothed RTT + 4 ×
    /// RTT variation, RFC 6298) between this and <see cref="MaxTimeout"/>. Default 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MinTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest probe timeout, also used before the first RTT is known. Default 1 s (fits a GEO satellite hop).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive answers (or losses) that confirm a target up (or down) and end fast probing. Default 3.</summary>
    [Range(1, 100)]
    public int ConfirmCount { get; set; } = 3;

    /// <summary>Measurements cover probes sent within this span… Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WindowSpan { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>…and at most this many most recent probes (30 = 15 s at the normal rate, 3 s of fast probing). Default 30.</summary>
    [Range(2, 1000)]
    public int WindowCount { get; set; } = 30;

    /// <summary>
    /// How often each path's current health is taken as a history sample. Default 1 s. Samples are
    /// aggregated into 10-second buckets before they are stored (raw rows only with
    /// <see cref="HealthPersistenceOptions.RawSamples"/>), so a shorter interval costs memory and CPU
    /// in the recorder, not storage.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether a path's loss (and so its score and status) takes the passive loss of the tunnel
    /// traffic it carries into account (<see cref="PassiveLossRule"/>: the worse of probes and
    /// traffic). Default true; false shows the passive measurement without weighing it.
    /// </summary>
    public bool UsePassiveLoss { get; set; } = true;

    /// <summary>
    /// Expected tunnel messages the passive loss must cover before it counts: the newest 1-second
    /// buckets of the tunnel's 10 s window are taken until they hold this many (at 500 packets/s
    /// that is the last 0.4–1.4 s; at a 50 packets/s voice stream, 4–5 s). Default 200: the count's
    /// noise then puts a path with 2 % real loss over the default 5 % threshold in about 1 reading
    /// of 400 (binomial, n = 200, p = 0.02: 11 or more lost; with 100 packets it is 1 in 65), while
    /// 10 % loss reads 10 ± 2.1 % (one standard deviation). Fewer packets than this (a quiet tunnel, keepalives)
    /// leave the probes alone to judge.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PassiveMinPackets { get; set; } = 200;

    /// <summary>
    /// Whether the STAMP probes due in one iteration of the monitor leave together, one sendmmsg
    /// per shared socket, stamped (T1 and the round trip's start) once just before it, instead of
    /// one sendto each stamped just before it. Default false: a batch is stamped before its first
    /// datagram leaves, and when the sending thread is preempted inside the call — on loopback
    /// every datagram wakes its receiver, which may preempt the sender — the datagrams after that
    /// point leave late with an early T1, and their round trips grow by the preemption. With it on,
    /// the bar 1 harness (10,000 paths, real-time reflectors on loopback) at load 27–34 showed 42 and
    /// 121 jitter alarms ("Up → Degraded, jitter 47 ms > 30 ms") against 0 without, for 2.7× fewer
    /// system calls in serve (docs/health.md, "Batched sends"). A single sendto is immune: its
    /// datagram has left before any wake-up it causes can preempt the sender.
    /// </summary>
    public bool BatchSends { get; set; }

    /// <summary>How long to wait before retrying a probe session that could not be opened. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SessionRetry { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Validates <see cref="HealthOptions"/>: the ranges, and that the timeout bounds and the two probe
/// intervals are in order. <c>Health:Persistence</c> is <see cref="HealthPersistenceOptions"/>'s own section.
/// </summary>
public sealed class HealthOptionsValidator() : OptionsSectionValidator<HealthOptions>(HealthOptions.Section, "Persistence")
{
    /// <inheritdoc/>
    protected override void ValidateRules(HealthOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (options.MinTimeout > options.MaxTimeout)
        {
            failures.Add($"{Section}:MinTimeout: {options.MinTimeout} is greater than MaxTimeout {options.MaxTimeout}");
        }

        if (options.FastInterval > options.Interval)
        {
            failures.Add($"{Section}:FastInterval: {options.FastInterval} is longer than Interval {options.Interval}");
        }
    }
}
