namespace Patronus.Engine.Failover;

/// <summary>
/// Flap dampening settings: a failback that would make more than <see cref="MaxSwitches"/> switches
/// within <see cref="Window"/> is not made; failbacks are held for <see cref="HoldTime"/> instead.
/// A switch away from an unacceptable active path is never held (traffic is never kept on a dead
/// path), but it is counted.
/// </summary>
/// <param name="MaxSwitches">Most switches allowed within <paramref name="Window"/> (default 3). A failback that would be switch number MaxSwitches + 1 is dampened.</param>
/// <param name="Window">How far back switches are counted (default 5 minutes); a switch exactly this old still counts. Zero or negative: no earlier switch counts, only the failback itself.</param>
/// <param name="HoldTime">How long failbacks stay suspended once dampened (default 10 minutes). Zero or negative disables dampening.</param>
public sealed record FailoverDampening(int MaxSwitches, TimeSpan Window, TimeSpan HoldTime)
{
    /// <summary>3 switches in 5 minutes, then hold failbacks for 10 minutes.</summary>
    public static FailoverDampening Default { get; } = new(3, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
}
