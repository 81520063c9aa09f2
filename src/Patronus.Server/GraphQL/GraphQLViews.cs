using System.Globalization;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Server.Api;

namespace Patronus.Server.GraphQL;

/// <summary>PathHealth as GraphQL shows it.</summary>
public sealed record PathHealthView(string PathId, double LatencyMs, double PacketLossPct, double JitterMs, double HealthScore, PathStatus Status, string? LastChecked)
{
    public static PathHealthView From(PathHealthSnapshot h) => new(h.PathId, PathHealthEndpoints.Round(h.LatencyMs), PathHealthEndpoints.Round(h.PacketLossPct), PathHealthEndpoints.Round(h.JitterMs),
        PathHealthEndpoints.Round(h.HealthScore), h.Status,
        h.LastChecked is { } t ? PathHealthEndpoints.Iso(t) : null);
}

/// <summary>FailoverPolicy as GraphQL shows it.</summary>
public sealed record FailoverPolicyView(
    string PolicyId, string Name, string PrimaryPathId, IReadOnlyList<string> BackupPathIds, double FailoverThreshold, double FailbackThreshold,
    int FailbackDelaySecs, bool Enabled, IReadOnlyList<string> Prefixes, string ActivePathId, bool ReadOnly)
{
    public static FailoverPolicyView From(FailoverPolicy p, FailoverService failover) => new(
        p.Id.ToString(CultureInfo.InvariantCulture), p.Name, p.PrimaryPathId, p.BackupPathIds, p.FailoverThreshold, p.FailbackThreshold,
        (int)p.FailbackDelay.TotalSeconds, p.Enabled, [.. p.Prefixes.Select(x => x.ToString())],
        failover.Status.TryGetValue(p.Id, out var s) ? s.ActivePathId : p.PrimaryPathId, p.ReadOnly);
}

/// <summary>FailoverEvent as GraphQL shows it.</summary>
public sealed record FailoverEventView(string? EventId, string PolicyId, string EventType, string? FromPathId, string? ToPathId, string? Reason, string Timestamp)
{
    public static FailoverEventView From(FailoverEventRecord r) => new(
        r.EventId > 0 ? r.EventId.ToString(CultureInfo.InvariantCulture) : null, r.Event.PolicyId.ToString(CultureInfo.InvariantCulture),
        FailoverEventNames.Name(r.Event.Type), r.Event.FromPathId, r.Event.ToPathId, r.Event.Reason, PathHealthEndpoints.Iso(r.Event.Timestamp));
}
