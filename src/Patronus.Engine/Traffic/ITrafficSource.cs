namespace Patronus.Engine.Traffic;

/// <summary>
/// Traffic counters for readers on any thread (API, metrics export): an immutable snapshot swapped
/// whole, never a lock. Values are the kernel's own counts; when accounting cannot run they are
/// absent, never zero, and <see cref="Unavailable"/> says why.
/// </summary>
public interface ITrafficSource
{
    /// <summary>
    /// The latest published counters. <see cref="TrafficSnapshot.Empty"/> (no policy or path
    /// entries) until the first successful read and for as long as <see cref="Unavailable"/> is set
    /// from the start; after a failed read, the previous snapshot stays (see
    /// <see cref="TrafficSnapshot.ReadAt"/> for its age).
    /// </summary>
    TrafficSnapshot Current { get; }

    /// <summary>
    /// Why there are no counters (disabled in config, not root, no <c>nft</c>, the kernel refused
    /// the table, not read yet), or null while accounting runs and <see cref="Current"/> holds
    /// real values.
    /// </summary>
    string? Unavailable { get; }
}
