using System.ComponentModel.DataAnnotations;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Failover;

/// <summary>Config section <c>Failover</c>: flap dampening and how routes reach the kernel.</summary>
public sealed class FailoverOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Failover";

    /// <summary>More switches than this within <see cref="FlapWindow"/> hold failback for <see cref="FlapHold"/>. Default 3.</summary>
    [Range(1, 1000)]
    public int FlapMaxSwitches { get; set; } = 3;

    /// <summary>The span in which switches are counted; positive. Default 5 minutes.</summary>
    public TimeSpan FlapWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a failback that would exceed <see cref="FlapMaxSwitches"/> is held; not negative. Default 10 minutes.</summary>
    public TimeSpan FlapHold { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Install each policy's prefixes as kernel routes via the active path's link (rtnetlink). Default true.</summary>
    public bool KernelRoutes { get; set; } = true;

    /// <summary>Kernel routing table for the routes: 254 (main, default) or a dedicated table 1–4294967295 used with <c>ip rule</c>.</summary>
    [Range(1, uint.MaxValue)]
    public long RouteTable { get; set; } = 254;

    /// <summary>Route metric (priority). Default 0.</summary>
    [Range(0, uint.MaxValue)]
    public long RouteMetric { get; set; }

    /// <summary>How long a failed kernel update waits before it is tried again; positive. Default 1 s.</summary>
    public TimeSpan RouteRetry { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Failover events are kept this long, then deleted (checked every
    /// <see cref="FailoverEventRecorder.RetentionInterval"/>). Default 90 days: a quarter of switch
    /// history for incident review; dampening bounds how fast a policy adds events, retention bounds
    /// how many stay. At least 1 h.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The dampening settings as the decision function takes them.</summary>
    public FailoverDampening Dampening => new(FlapMaxSwitches, FlapWindow, FlapHold);
}

/// <summary>
/// Validates <see cref="FailoverOptions"/>: the ranges, and the spans no attribute can bound from
/// below (the flap window and route retry positive, the hold not negative).
/// </summary>
public sealed class FailoverOptionsValidator() : OptionsSectionValidator<FailoverOptions>(FailoverOptions.Section)
{
    /// <inheritdoc/>
    protected override void ValidateRules(FailoverOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (options.FlapWindow <= TimeSpan.Zero || options.FlapHold < TimeSpan.Zero || options.RouteRetry <= TimeSpan.Zero)
        {
            failures.Add($"{Section}: FlapWindow and RouteRetry must be positive, FlapHold not negative");
        }
    }
}
