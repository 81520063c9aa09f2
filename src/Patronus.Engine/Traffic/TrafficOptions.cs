using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Traffic;

/// <summary>
/// Traffic accounting (config section <c>Traffic</c>): byte and packet counters per failover policy
/// and per path, kept by the kernel in an nftables table of ours and read periodically. See
/// docs/traffic.md for what is counted where.
/// </summary>
public sealed class TrafficOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Traffic";

    /// <summary>
    /// Count traffic. Default true: accounting runs when the process is root and <c>nft</c> is
    /// installed; otherwise it stays off with one Information log line saying why, and every value
    /// reads as absent (null) with that reason.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often the kernel's counters are read and a new snapshot is published. Default 1 s: one
    /// <c>nft</c> process per second costs a few milliseconds of CPU, and a Prometheus scrape every
    /// 5–15 s never sees a value older than one second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ReadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Count active flows per policy from the kernel's connection tracking. Default true. The
    /// accounting table then holds one rule that uses conntrack (<c>ct state new</c>), which makes the
    /// kernel track connections in this network namespace if nothing else did (NAT usually does
    /// already): see docs/traffic.md before turning it on for a box that ran without conntrack.
    /// </summary>
    public bool Flows { get; set; } = true;

    /// <summary>
    /// How often the conntrack table is read for the active-flow counts. Default 5 s: the table
    /// can hold hundreds of thousands of entries, and a flow count is a gauge that needs no
    /// per-second resolution.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FlowReadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>nft</c> executable. Default null: <c>nft</c> found on PATH, /usr/sbin or /sbin.</summary>
    public string? NftPath { get; set; }

    /// <summary>
    /// The conntrack table in procfs. Default <c>/proc/net/nf_conntrack</c> (this process's network
    /// namespace); <c>/proc/PID/net/nf_conntrack</c> reads another process's namespace.
    /// </summary>
    [Required]
    public string ConntrackPath { get; set; } = "/proc/net/nf_conntrack";
}

/// <summary>Validates <see cref="TrafficOptions"/>: the read intervals' ranges and the conntrack path (no rule spans fields).</summary>
public sealed class TrafficOptionsValidator() : OptionsSectionValidator<TrafficOptions>(TrafficOptions.Section);
