using Patronus.Engine.Cluster;
using System.Globalization;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Server.Api;

namespace Patronus.Server.GraphQL;

/// <summary>
/// PathHealth as GraphQL shows it; <paramref name="Reason"/> is the monitor's words for the status,
/// <paramref name="LossSource"/> which measurement the loss is and <paramref name="ActiveLossPct"/>
/// the probes' own loss (all three null in history, which does not store them).
/// </summary>
public sealed record PathHealthView(string PathId, double LatencyMs, double PacketLossPct, double JitterMs, double HealthScore, PathStatus Status, string? LastChecked, string? Reason = null,
    LossSource? LossSource = null, double? ActiveLossPct = null)
{
    public static PathHealthView From(PathHealthSnapshot h) => new(h.PathId, PathHealthEndpoints.Round(h.LatencyMs), PathHealthEndpoints.Round(h.PacketLossPct), PathHealthEndpoints.Round(h.JitterMs),
        PathHealthEndpoints.Round(h.HealthScore), h.Status,
        h.LastChecked is { } t ? PathHealthEndpoints.Iso(t) : null, h.Reason, h.LossSource, PathHealthEndpoints.Round(h.ActiveLossPct));
}

/// <summary>FailoverPolicy as GraphQL shows it, with the loop's state as REST shows it (last switch, failback hold-down).</summary>
public sealed record FailoverPolicyView(
    string PolicyId, string Name, string PrimaryPathId, IReadOnlyList<string> BackupPathIds, double FailoverThreshold, double FailbackThreshold,
    int FailbackDelaySecs, bool Enabled, IReadOnlyList<string> Prefixes, string ActivePathId, bool ReadOnly,
    string? LastSwitch, string? FailbackPendingSince, string? HeldUntil, string? Class = null)
{
    public static FailoverPolicyView From(FailoverPolicy p, ClusterFeed feed)
    {
        var s = feed.PolicyStatus(p);
        return new(
            p.Id.ToString(CultureInfo.InvariantCulture), p.Name, p.PrimaryPathId, p.BackupPathIds, p.FailoverThreshold, p.FailbackThreshold,
            (int)p.FailbackDelay.TotalSeconds, p.Enabled, [.. p.Prefixes.Select(x => x.ToString())], s?.ActivePathId ?? p.PrimaryPathId, p.ReadOnly,
            Iso(s?.LastSwitch), Iso(s?.FailbackPendingSince), Iso(s?.HeldUntil), p.Class);
    }

    private static string? Iso(DateTimeOffset? t) => t is { } v ? PathHealthEndpoints.Iso(v) : null;
}

/// <summary>FailoverEvent as GraphQL shows it.</summary>
public sealed record FailoverEventView(string? EventId, string PolicyId, string EventType, string? FromPathId, string? ToPathId, string? Reason, string Timestamp)
{
    public static FailoverEventView From(FailoverEventRecord r) => new(
        r.EventId > 0 ? r.EventId.ToString(CultureInfo.InvariantCulture) : null, r.Event.PolicyId.ToString(CultureInfo.InvariantCulture),
        FailoverEventNames.Name(r.Event.Type), r.Event.FromPathId, r.Event.ToPathId, r.Event.Reason, PathHealthEndpoints.Iso(r.Event.Timestamp));
}
