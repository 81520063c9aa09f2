using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Cluster;

/// <summary>
/// Config section <c>Cluster</c>: who this instance is among the controllers sharing one PostgreSQL
/// store, and the timings of its heartbeats and of the leader lease (docs/ha.md). Ignored on the
/// embedded SQLite store, where the single instance is the leader with term 1.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cluster";

    /// <summary>
    /// This instance's id, unique among the instances on one store, at most 128 characters.
    /// Default (empty): the host name and a hash of the data directory (<c>ctl1-3f9a2c1e</c>), so two
    /// instances on one host differ when their data directories do.
    /// </summary>
    [MaxLength(128)]
    public string? NodeId { get; set; }

    /// <summary>The URL other nodes and operators reach this instance's API at. Default: the first listen URL.</summary>
    [MaxLength(512)]
    public string? AdvertisedUrl { get; set; }

    /// <summary>
    /// How long a lease acquired or renewed stays valid in the database (its clock). A dead leader is
    /// replaced at most this long (plus one <see cref="RenewInterval"/>) after its last renewal.
    /// Default 2 s; 500 ms to 60 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "00:01:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the leader renews and a follower tries to acquire the lease; at most a third of
    /// <see cref="LeaseDuration"/>, so a leader gets three tries before its lease runs out.
    /// Default 500 ms; 50 ms to 20 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:00:20")]
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often this instance writes its heartbeat row. Default 1 s; 100 ms to 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A node is healthy while its last heartbeat (database clock) is younger than this; at least
    /// twice <see cref="HeartbeatInterval"/>. Default 5 s; 200 ms to 10 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.2", "00:10:00")]
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On a graceful stop (SIGTERM) the instance first answers 503 on <c>/health/ready</c> and keeps
    /// serving — every request, and its work as leader — for this long, so the load balancer takes it
    /// out on its own checks before it stops accepting connections and releases the lease. At least two
    /// of the balancer's check intervals plus a check's time: with <c>deploy/haproxy</c>'s checks (every
    /// 500 ms, then 250 ms, fall 2) a node is DOWN ≤ ~0.8 s after it turns unready. Default (unset):
    /// 1.5 s on a PostgreSQL store, 0 on the embedded SQLite store (one box, no balancer); 0 to 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan? DrainDelay { get; set; }

    /// <summary>The <see cref="DrainDelay"/> used on a PostgreSQL store when none is set: 1.5 s.</summary>
    public static readonly TimeSpan DefaultClusterDrainDelay = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// The longest a graceful stop drains. After <see cref="DrainDelay"/> the drain goes on while
    /// requests still arrive (other than health checks) and ends once none has begun for
    /// 250 ms — the load balancer has stopped sending — or at this bound. A balancer whose checks are
    /// slow (a loaded box) thus gets the time it takes instead of meeting a closed port, and one
    /// that took the node out in time costs nothing more. Default (unset): the larger of
    /// <see cref="DrainDelay"/> and 5 s when there is a drain; at least <see cref="DrainDelay"/>; up
    /// to 60 s. The host's shutdown budget grows by it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan? DrainMax { get; set; }

    /// <summary>The <see cref="DrainMax"/> used when none is set and there is a drain: 5 s (or the drain delay, if longer).</summary>
    public static readonly TimeSpan DefaultDrainMax = TimeSpan.FromSeconds(5);
}

/// <summary>Validates <see cref="ClusterOptions"/>: the ranges, renewals at least three per lease, heartbeats at least two per timeout.</summary>
public sealed class ClusterOptionsValidator() : OptionsSectionValidator<ClusterOptions>(ClusterOptions.Section)
{
    /// <inheritdoc/>
    protected override void ValidateRules(ClusterOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (options.RenewInterval * 3 > options.LeaseDuration)
        {
            failures.Add($"{Section}: RenewInterval must be at most a third of LeaseDuration");
        }

        if (options.HeartbeatInterval * 2 > options.NodeTimeout)
        {
            failures.Add($"{Section}: NodeTimeout must be at least twice HeartbeatInterval");
        }

        if (options.DrainMax is { } max && max < (options.DrainDelay ?? TimeSpan.Zero))
        {
            failures.Add($"{Section}: DrainMax ({max}) must be at least DrainDelay ({options.DrainDelay})");
        }
    }
}
