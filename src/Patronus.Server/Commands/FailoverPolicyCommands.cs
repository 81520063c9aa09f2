using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;

namespace Patronus.Server.Commands;

/// <summary>
/// Writes to failover policies: the one implementation behind REST (<c>/api/v1/failover/policies</c>)
/// and GraphQL (<c>createFailoverPolicy…</c>). A policy is validated as a whole among every other
/// policy and against the topology, as the config file is; config policies are read-only. An
/// update is a merge patch (<see cref="CommandInput"/>): what it does not name keeps its value. A
/// write is answered only once the events it causes (a toggle's enabled/disabled) are stored.
/// </summary>
public sealed class FailoverPolicyCommands(FailoverPolicyService policies, FailoverService failover, TopologyService topology, Engine.Tunnels.Sdwan.TrafficClassifier classes)
{
    // The validator's keys (the config file's names) in the API's terms.
    private static readonly Dictionary<string, string> s_fields = new(StringComparer.Ordinal)
    {
        ["Name"] = "name",
        ["Primary"] = "primary_path_id",
        ["Backups"] = "backup_path_ids",
        ["FailoverThreshold"] = "failover_threshold",
        ["FailbackThreshold"] = "failback_threshold",
        ["FailbackDelaySecs"] = "failback_delay_secs",
        ["Prefixes"] = "prefixes",
        ["Class"] = "class",
    };

    /// <summary>The policy with this id (its decimal text), or null.</summary>
    public FailoverPolicy? Find(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? policies.Current.FirstOrDefault(p => p.Id == n) : null;

    public Task<CommandResult<FailoverPolicy>> CreateAsync(JsonObject body, CancellationToken ct) => SaveAsync(body, null, ct);

    public Task<CommandResult<FailoverPolicy>> UpdateAsync(string id, JsonObject patch, CancellationToken ct)
    {
        if (!policies.IsReady)
        {
            return Task.FromResult<CommandResult<FailoverPolicy>>(CommandError.NotReady);
        }

        if (Find(id) is not { } existing)
        {
            return Task.FromResult<CommandResult<FailoverPolicy>>(CommandError.NotFound("failover policy", id));
        }

        return SaveAsync(CommandInput.MergePatch(CommandInput.Write(FailoverPolicyInput.From(existing)), patch), existing, ct);
    }

    public async Task<CommandError?> DeleteAsync(string id, CancellationToken ct)
    {
        if (Find(id) is not { } policy)
        {
            return CommandError.NotFound("failover policy", id);
        }

        if (policy.ReadOnly)
        {
            return ReadOnly(policy);
        }

        var result = await policies.WriteAsync((s, c) => s.DeleteFailoverPolicyAsync(policy.Id, c), ct).ConfigureAwait(false);
        return result.Succeeded ? null : CommandError.From(result, "id");
    }

    private static CommandError ReadOnly(FailoverPolicy p) =>
        CommandError.Conflict("Read-only", $"failover policy {p.Id} ('{p.Name}') is defined in the configuration file and is read-only; change it there");

    private async Task<CommandResult<FailoverPolicy>> SaveAsync(JsonObject json, FailoverPolicy? existing, CancellationToken ct)
    {
        var read = CommandInput.Read<FailoverPolicyInput>(json);
        if (read.Value is not { } input)
        {
            return read.Error!;
        }

        if (!policies.IsReady)
        {
            return CommandError.NotReady;
        }

        if (existing is { ReadOnly: true })
        {
            return ReadOnly(existing);
        }

        var prefixes = new List<IPNetwork>();
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
            delay, input.Enabled ?? true, prefixes, ItemSource.Api, string.IsNullOrEmpty(input.Class) ? null : input.Class);

        // Validated as a whole: the candidate takes its place among all policies.
        var all = policies.Current.Where(p => existing is null || p.Id != existing.Id).Append(candidate).ToList();
        var keyPrefix = $"FailoverPolicies:{all.Count - 1}:";
        var classNames = classes.Classes.Take(classes.Classes.Count - 1).Select(c => c.Name).ToList(); // the configured ones, not "default"
        foreach (var error in FailoverRules.Validate(all, topology.Current, classNames).Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal)))
        {
            var parts = error.Key[keyPrefix.Length..].Split(':');
            var field = s_fields.GetValueOrDefault(parts[0], parts[0]) + (parts.Length > 1 ? $"[{parts[1]}]" : "");
            errors[field] = [.. errors.GetValueOrDefault(field) ?? [], error.Message];
        }

        if (errors.Count > 0)
        {
            return CommandError.Invalid(errors);
        }

        var id = existing?.Id ?? 0;
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
            return CommandError.From(result, "primary_path_id");
        }

        // Durable before acknowledged: the events this change causes (a toggle's enabled/disabled)
        // are in the store before the answer, so a crash right after it cannot lose them.
        await failover.PoliciesRecordedAsync(ct).ConfigureAwait(false);
        return policies.Current.First(p => p.Id == id);
    }
}

/// <summary>A failover policy in a request; on create omitted fields take the seed's defaults, on update they keep their values.</summary>
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

    /// <summary>A traffic class: the policy then steers only that class's packets in the tunnels, judged by its SLA. Null or empty: every packet.</summary>
    public string? Class { get; set; }

    internal static FailoverPolicyInput From(FailoverPolicy p) => new()
    {
        Name = p.Name,
        PrimaryPathId = p.PrimaryPathId,
        BackupPathIds = [.. p.BackupPathIds],
        FailoverThreshold = p.FailoverThreshold,
        FailbackThreshold = p.FailbackThreshold,
        FailbackDelaySecs = p.FailbackDelay.TotalSeconds,
        Enabled = p.Enabled,
        Prefixes = [.. p.Prefixes.Select(x => x.ToString())],
        Class = p.Class,
    };
}
