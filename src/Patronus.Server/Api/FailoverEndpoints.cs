using Patronus.Engine.Cluster;
using System.Globalization;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Server.Commands;

namespace Patronus.Server.Api;

/// <summary>
/// Failover policies (CRUD, validated as a whole against every policy and the topology, as the
/// config file is; the REST adapter over <see cref="FailoverPolicyCommands"/>) with their live state,
/// and the failover events in the seed's shape. PUT changes the fields the body names and keeps the rest.
/// </summary>
internal static class FailoverEndpoints
{
    public const int DefaultEventLimit = 1_000;
    public const int MaxEventLimit = 10_000;
    public static readonly TimeSpan DefaultEventSpan = TimeSpan.FromDays(1);

    public static RouteGroupBuilder MapFailover(this RouteGroupBuilder api)
    {
        api.MapGet("/failover/policies", (FailoverPolicyService policies, ClusterFeed failover) =>
            Results.Ok(policies.Current.Select(p => View(p, failover))));

        api.MapGet("/failover/policies/{id}", (string id, FailoverPolicyCommands policies, ClusterFeed failover) =>
            policies.Find(id) is { } p ? Results.Ok(View(p, failover)) : Problems.NotFound("failover policy", id));

        api.MapPost("/failover/policies", (HttpRequest r, FailoverPolicyCommands c, ClusterFeed f, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.CreateAsync(b, ct), p => View(p, f), p => $"failover/policies/{p.Id}", ct));
        api.MapPut("/failover/policies/{id}", (string id, HttpRequest r, FailoverPolicyCommands c, ClusterFeed f, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.UpdateAsync(id, b, ct), p => View(p, f), null, ct));
        api.MapDelete("/failover/policies/{id}", (string id, FailoverPolicyCommands c, CancellationToken ct) =>
            Writes.DeleteAsync(() => c.DeleteAsync(id, ct)));

        api.MapGet("/metrics/failovers", EventsAsync);
        return api;
    }

    /// <summary>A policy with its state as the cluster shows it (<see cref="ClusterFeed.PolicyStatus"/>: the leader's on a follower).</summary>
    internal static object View(FailoverPolicy p, ClusterFeed feed)
    {
        var status = feed.PolicyStatus(p);
        return new
        {
            policy_id = p.Id,
            name = p.Name,
            primary_path_id = p.PrimaryPathId,
            backup_path_ids = p.BackupPathIds,
            failover_threshold = p.FailoverThreshold,
            failback_threshold = p.FailbackThreshold,
            failback_delay_secs = (long)p.FailbackDelay.TotalSeconds,
            enabled = p.Enabled,
            prefixes = p.Prefixes.Select(x => x.ToString()),
            @class = p.Class,
            source = p.Source == ItemSource.Config ? "config" : "api",
            read_only = p.ReadOnly,
            active_path_id = status?.ActivePathId ?? p.PrimaryPathId,
            last_switch = status?.LastSwitch is { } t ? PathHealthEndpoints.Iso(t) : null,
            failback_pending_since = status?.FailbackPendingSince is { } s ? PathHealthEndpoints.Iso(s) : null,
            held_until = status?.HeldUntil is { } h ? PathHealthEndpoints.Iso(h) : null,
        };
    }

    private static async Task<IResult> EventsAsync(HttpRequest request, IFailoverStore store, TimeProvider time, CancellationToken ct)
    {
        var query = request.Query;
        var since = time.GetUtcNow() - DefaultEventSpan;
        if (query["since"].FirstOrDefault() is { } s)
        {
            if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
            {
                return Problems.Invalid("since", $"'{s}' is not an ISO-8601 time");
            }
        }

        long? policyId = null;
        if (query["policy_id"].FirstOrDefault() is { } p)
        {
            if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return Problems.Invalid("policy_id", $"'{p}' is not a policy id");
            }

            policyId = n;
        }

        var limit = DefaultEventLimit;
        if (query["limit"].FirstOrDefault() is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxEventLimit))
        {
            return Problems.Invalid("limit", $"'{l}' is out of range (1–{MaxEventLimit})");
        }

        var events = await store.GetFailoverEventsAsync(policyId, since, limit, ct).ConfigureAwait(false);
        return Results.Ok(new { failovers = events.Select(Event) });
    }

    internal static object Event(FailoverEventRecord r) => new
    {
        event_id = r.EventId,
        policy_id = r.Event.PolicyId,
        type = FailoverEventNames.Name(r.Event.Type),
        from_path = r.Event.FromPathId,
        to_path = r.Event.ToPathId,
        reason = r.Event.Reason,
        timestamp = PathHealthEndpoints.Iso(r.Event.Timestamp),
        details = r.Details is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonDocument.Parse(r.Details).RootElement,
    };
}
