using System.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Failover;

/// <summary>
/// A failover policy (seed 000 Feature 2): traffic for <see cref="Prefixes"/> uses the primary path
/// while it is acceptable, the best acceptable backup otherwise, and returns to the primary only
/// after it has been healthy for the whole <see cref="FailbackDelay"/>. See
/// FailoverDecision for the rules.
/// </summary>
/// <param name="Id">The seed's numeric <c>policy_id</c> (assigned by the store).</param>
/// <param name="Name">Unique name.</param>
/// <param name="PrimaryPathId">The preferred path.</param>
/// <param name="BackupPathIds">Backups in order of preference (ties in score go to the earlier one).</param>
/// <param name="FailoverThreshold">A path scoring below this is not acceptable (default 50).</param>
/// <param name="FailbackThreshold">The primary must score at least this for the whole delay to be returned to (default 80).</param>
/// <param name="FailbackDelay">How long the primary must stay at or above the failback threshold (default 60 s).</param>
/// <param name="Enabled">A disabled policy steers its prefixes to the primary and makes no decisions.</param>
/// <param name="Prefixes">Destination prefixes the policy steers.</param>
/// <param name="Source">Where the policy was defined (config policies are read-only through the API).</param>
/// <param name="Class">
/// A traffic class (<c>TrafficClasses</c>) or null. With a class the policy judges its paths by the
/// class's SLA instead of the score thresholds, and its decision steers only that class's packets
/// in the tunnels; it installs no kernel route (docs/tunnels.md, "Traffic classes").
/// </param>
public sealed record FailoverPolicy(
    long Id,
    string Name,
    string PrimaryPathId,
    IReadOnlyList<string> BackupPathIds,
    double FailoverThreshold,
    double FailbackThreshold,
    TimeSpan FailbackDelay,
    bool Enabled,
    IReadOnlyList<IPNetwork> Prefixes,
    ItemSource Source,
    string? Class = null)
{
    public const double DefaultFailoverThreshold = 50;
    public const double DefaultFailbackThreshold = 80;
    public static readonly TimeSpan DefaultFailbackDelay = TimeSpan.FromSeconds(60);

    /// <summary>Primary first, then the backups in order.</summary>
    public IEnumerable<string> AllPaths => BackupPathIds.Prepend(PrimaryPathId);

    /// <summary>Value equality including the lists (records compare lists by reference).</summary>
    public bool SameAs(FailoverPolicy other) =>
        other is not null && this with { BackupPathIds = other.BackupPathIds, Prefixes = other.Prefixes } == other &&
        BackupPathIds.SequenceEqual(other.BackupPathIds) && Prefixes.SequenceEqual(other.Prefixes);

    /// <summary>True when the policy comes from config and so cannot be changed at run time.</summary>
    public bool ReadOnly => Source != ItemSource.Api;
}
