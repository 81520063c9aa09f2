namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>When a class's packets are duplicated on the two best paths.</summary>
public enum DuplicationMode
{
    /// <summary>Never (default).</summary>
    Off,

    /// <summary>Every packet of the class, all the time.</summary>
    Always,

    /// <summary>From the moment the class's active path breaches its SLA until it has been clean for the hold time.</summary>
    OnSlaBreach,
}

/// <summary>A class's duplication state: on or off, and since when its active path has met the SLA while on.</summary>
/// <param name="Active">Whether packets are duplicated now.</param>
/// <param name="CleanSince">Timestamp from which the active path has met the SLA while duplication was on; null while it breaches.</param>
public readonly record struct DuplicationState(bool Active, long? CleanSince);

/// <summary>
/// Whether a class's packets are duplicated (issue 16 item 5): a pure decision over the mode,
/// the SLA verdict of the class's active path and the time (monotonic <see cref="TimeProvider"/>
/// timestamps), table-tested. Hysteresis: <c>on-sla-breach</c> switches on at the first breach
/// and off only after the path has met the SLA for the whole hold time; a breach during the hold
/// starts the hold again, so a flapping path keeps its duplicates.
/// </summary>
public static class DuplicationDecision
{
    /// <summary>The state after an evaluation at <paramref name="now"/>; <paramref name="frequency"/> is the clock's <see cref="TimeProvider.TimestampFrequency"/>.</summary>
    public static DuplicationState Next(DuplicationMode mode, DuplicationState state, bool slaBreached, TimeSpan hold, long now, long frequency)
    {
        switch (mode)
        {
            case DuplicationMode.Always:
                return new DuplicationState(true, null);
            case DuplicationMode.OnSlaBreach when slaBreached:
                return new DuplicationState(true, null);
            case DuplicationMode.OnSlaBreach when state.Active:
                var cleanSince = state.CleanSince ?? now;
                var held = (double)(now - cleanSince) / frequency;
                return held >= hold.TotalSeconds ? default : new DuplicationState(true, cleanSince);
            default:
                return default;
        }
    }
}
