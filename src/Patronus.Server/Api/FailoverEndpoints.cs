using System.Globalization;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;

namespace Patronus.Server.Api;

/// <summary>
/// Failover policies (CRUD, validated as a whole against every policy and the topology, as the
/// config file is) with their live state, and the failover events in the seed's shape.
/// </summary>
internal static class FailoverEndpoints
{
    public const int DefaultEventLimit = 1_000;
    public const int MaxEventLimit = 10_000;
    public static readonly TimeSpan DefaultEventSpan = TimeSpan.FromDays(1);

    private static readonly Dictionary<string, string> s_fields = new(StringComparer.Ordinal)
    {
        ["Name"] = "name",
        ["Primary"] = "primary_path_id",
        ["Backups"] = "backup_path_ids",
        ["FailoverThreshold"] = "failover_threshold",
        ["FailbackThreshold"] = "failback_threshold",
        ["FailbackDelaySecs"] = "failback_delay_secs",
        ["Prefixes"] = "prefixes",
    };

    public static RouteGroupBuilder MapFailover(this RouteGroupBuilder api)
    {
        api.MapGet("/failover/policies", (FailoverPolicyService policies, FailoverService failover) =>
            Results.Ok(policies.Current.Select(p => View(p, failover))));

        api.MapGet("/failover/policies/{id}", (string id, FailoverPolicyService policies, FailoverService failover) =>
            Find(policies, id) is { } p ? Results.Ok(View(p, failover)) : Problems.NotFound("failover policy", id));

        api.MapPost("/failover/policies", (HttpRequest r, FailoverPolicyService p, FailoverService f, TopologyService t, CancellationToken ct) => WriteAsync(r, p, f, t, null, ct));
        api.MapPut("/failover/policies/{id}", (string id, HttpRequest r, FailoverPolicyService p, FailoverService f, TopologyService t, CancellationToken ct) => WriteAsync(r, p, f, t, id, ct));
        api.MapDelete("/failover/policies/{id}", async (string id, FailoverPolicyService policies, CancellationToken ct) =>
        {
            if (Find(policies, id) is not { } p)
            {
                return Problems.NotFound("failover policy", id);
            }

            var result = await policies.WriteAsync((s, c) => s.DeleteFailoverPolicyAsync(p.Id, c), ct).ConfigureAwait(false);
            return result.Succeeded ? Results.NoContent() : Problems.From(result, "id");
        });

        api.MapGet("/metrics/failovers", EventsAsync);
        return api;
    }

    private static FailoverPolicy? Find(FailoverPolicyService policies, string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? policies.Current.FirstOrDefault(p => p.Id == n) : null;

    internal static object View(FailoverPolicy p, FailoverService failover)
    {
        failover.Status.TryGetValue(p.Id, out var status);
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
            source = p.Source == ItemSource.Config ? "config" : "api",
            read_only = p.ReadOnly,
            active_path_id = status?.ActivePathId ?? p.PrimaryPathId,
            last_switch = status?.LastSwitch is { } t ? PathHealthEndpoints.Iso(t) : null,
            failback_pending_since = status?.FailbackPendingSince is { } s ? PathHealthEndpoints.Iso(s) : null,
            held_until = status?.HeldUntil is { } h ? PathHealthEndpoints.Iso(h) : null,
        };
    }

    private static async Task<IResult> WriteAsync(HttpRequest request, FailoverPolicyService policies, FailoverService failover, TopologyService topology,
        string? routeId, CancellationToken ct)
    {
        var (input, problem) = await ApiJson.ReadAsync<FailoverPolicyInput>(request, ct).ConfigureAwait(false);
        return problem ?? await SaveAsync(input!, policies, failover, topology, routeId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates (<paramref name="routeId"/> null) or replaces a policy, validated as a whole: the REST and GraphQL writes share this.</summary>
    internal static async Task<IResult> SaveAsync(FailoverPolicyInput input, FailoverPolicyService policies, FailoverService failover, TopologyService topology,
        string? routeId, CancellationToken ct)
    {
        if (!policies.IsReady)
        {
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not ready", "the store is not initialised yet; see /health/ready");
        }

        FailoverPolicy? existing = null;
        if (routeId is not null)
        {
            existing = Find(policies, routeId);
            if (existing is null)
            {
                return Problems.NotFound("failover policy", routeId);
            }

            if (existing.ReadOnly)
            {
                return Problems.Status(StatusCodes.Status409Conflict, "Read-only",
                    $"failover policy {existing.Id} ('{existing.Name}') is defined in the configuration file and is read-only; change it there");
            }
        }

        var prefixes = new List<System.Net.IPNetwork>();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var prefixTexts = input.Prefixes ?? [];
        for (var i = 0; i < prefixTexts.Count; i++)
        {
            if (FailoverRules.ParsePrefix(prefixTexts[i], out var prefix) is { } bad)
            {
                errors[$"prefixes[{i}]"] = [bad];
            }
            else
            {
                prefixes.Add(prefix);
            }
        }

        // Checked before it becomes a TimeSpan: 1e20 seconds does not fit one (an OverflowException, a 500).
        var delaySecs = input.FailbackDelaySecs ?? FailoverPolicy.DefaultFailbackDelay.TotalSeconds;
        var delay = TimeSpan.Zero;
        if (delaySecs is >= 0 && delaySecs <= FailoverRules.MaxFailbackDelay.TotalSeconds)
        {
            delay = TimeSpan.FromSeconds(delaySecs);
        }
        else
        {
            errors["failback_delay_secs"] = [string.Create(CultureInfo.InvariantCulture, $"{delaySecs} is out of range (0–{FailoverRules.MaxFailbackDelay.TotalSeconds})")];
        }

        var candidate = new FailoverPolicy(existing?.Id ?? 0, input.Name ?? string.Empty, input.PrimaryPathId ?? string.Empty, input.BackupPathIds?.ToList() ?? [],
            input.FailoverThreshold ?? FailoverPolicy.DefaultFailoverThreshold, input.FailbackThreshold ?? FailoverPolicy.DefaultFailbackThreshold,
            delay, input.Enabled ?? true, prefixes, ItemSource.Api);

        // Validated as a whole: the candidate takes its place among all policies.
        var all = policies.Current.Where(p => existing is null || p.Id != existing.Id).Append(candidate).ToList();
        var keyPrefix = $"FailoverPolicies:{all.Count - 1}:";
        foreach (var error in FailoverRules.Validate(all, topology.Current).Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal)))
        {
            var parts = error.Key[keyPrefix.Length..].Split(':');
            var field = s_fields.GetValueOrDefault(parts[0], parts[0]) + (parts.Length > 1 ? $"[{parts[1]}]" : "");
            errors[field] = [.. errors.GetValueOrDefault(field) ?? [], error.Message];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        long id = existing?.Id ?? 0;
        var result = await policies.WriteAsync(async (s, c) =>
        {
            if (existing is not null)
            {
                return await s.UpdateFailoverPolicyAsync(candidate, c).ConfigureAwait(false);
            }

            var (r, newId) = await s.InsertFailoverPolicyAsync(candidate, c).ConfigureAwait(false);
            id = newId;
            return r;
        }, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Problems.From(result, "primary_path_id");
        }

        // Durable before acknowledged: the events this change causes (a toggle's enabled/disabled)
        // are in the store before the answer, so a crash right after it cannot lose them.
        await failover.PoliciesRecordedAsync(ct).ConfigureAwait(false);
        var saved = policies.Current.First(p => p.Id == id);
        return existing is null
            ? Results.Created($"{ApiEndpoints.Prefix}/failover/policies/{id}", View(saved, failover))
            : Results.Ok(View(saved, failover));
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

/// <summary>Body of POST/PUT /api/v1/failover/policies; omitted fields take the seed's defaults.</summary>
public sealed class FailoverPolicyInput
{
    public string? Name { get; set; }

    public string? PrimaryPathId { get; set; }

    public IList<string>? BackupPathIds { get; set; }

    public double? FailoverThreshold { get; set; }

    public double? FailbackThreshold { get; set; }

    public double? FailbackDelaySecs { get; set; }

    public bool? Enabled { get; set; }

    public IList<string>? Prefixes { get; set; }
}
