namespace Patronus.Engine.Failover;

/// <summary>Kinds of failover events (the seed's three, and what a real engine also has to say).</summary>
public enum FailoverEventType
{
    /// <summary>Traffic moved off an unacceptable path.</summary>
    FailoverTriggered,

    /// <summary>Traffic returned to the primary after it proved itself for the failback delay.</summary>
    FailbackCompleted,

    /// <summary>The active path is unacceptable and no other path is acceptable: nothing moved.</summary>
    FailoverFailed,

    /// <summary>Too many switches in the dampening window: failback is held.</summary>
    FlapDampened,

    /// <summary>The policy was enabled.</summary>
    PolicyEnabled,

    /// <summary>The policy was disabled: its prefixes go to the primary.</summary>
    PolicyDisabled,

    /// <summary>Installing a route in the kernel failed (retried).</summary>
    RouteApplyFailed,
}

/// <summary>One failover event, with the numbers that caused it in <see cref="Reason"/>.</summary>
public sealed record FailoverEvent(long PolicyId, FailoverEventType Type, string? FromPathId, string? ToPathId, string Reason, DateTimeOffset Timestamp);

/// <summary>Stored, API and metric-label names of event types: the seed's <c>triggered</c> and its siblings.</summary>
public static class FailoverEventNames
{
    public static string Name(FailoverEventType type) => type switch
    {
        FailoverEventType.FailoverTriggered => "triggered",
        FailoverEventType.FailbackCompleted => "failback",
        FailoverEventType.FailoverFailed => "failed",
        FailoverEventType.FlapDampened => "dampened",
        FailoverEventType.PolicyEnabled => "enabled",
        FailoverEventType.PolicyDisabled => "disabled",
        _ => "route_failed",
    };

    public static FailoverEventType Parse(string name) =>
        Enum.GetValues<FailoverEventType>().FirstOrDefault(t => Name(t) == name, FailoverEventType.RouteApplyFailed);
}
