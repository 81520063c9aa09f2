using Patronus.Engine.Paths;

namespace Patronus.Server.Api;

/// <summary>
/// Validates an API change against the whole topology with the same rules the config loader uses
/// (<see cref="TopologyRules.Validate"/>): the candidate item is placed into the current snapshot
/// and only the problems of that item are reported, keyed by API field name.
/// </summary>
internal static class TopologyValidation
{
    private static readonly Dictionary<string, string> s_fieldNames = new(StringComparer.Ordinal)
    {
        ["Id"] = "id",
        ["Name"] = "name",
        ["Description"] = "description",
        ["Site"] = "site_id",
        ["Link"] = "link_id",
        ["RemoteSite"] = "remote_site_id",
        ["Interface"] = "interface",
        ["SourceAddress"] = "source_address",
        ["Gateway"] = "gateway",
        ["Cost"] = "cost",
        ["Targets"] = "targets",
        ["Thresholds"] = "thresholds",
        ["Quorum"] = "quorum",
        ["Probe"] = "probe",
        ["LatencyMs"] = "latency_ms",
        ["LossPct"] = "loss_pct",
        ["JitterMs"] = "jitter_ms",
        ["Bfd"] = "bfd",
        ["Peer"] = "peer",
        ["Multihop"] = "multihop",
        ["DesiredMinTxMs"] = "desired_min_tx_ms",
        ["RequiredMinRxMs"] = "required_min_rx_ms",
        ["DetectMultiplier"] = "detect_multiplier",
        ["Passive"] = "passive",
        ["MinTtl"] = "min_ttl",
        ["Auth"] = "auth",
        ["Type"] = "type",
        ["KeyId"] = "key_id",
        ["Secret"] = "secret",
        ["AdminDown"] = "admin_down",
    };

    public static Dictionary<string, string[]> Site(TopologySnapshot current, Site candidate) =>
        Check(Replace(current.Sites, candidate, s => s.Id), current.Links, current.Paths, "Sites", candidate.Id);

    public static Dictionary<string, string[]> Link(TopologySnapshot current, WanLink candidate) =>
        Check(current.Sites, Replace(current.Links, candidate, l => l.Id), current.Paths, "Links", candidate.Id);

    public static Dictionary<string, string[]> Path(TopologySnapshot current, PathDefinition candidate) =>
        Check(current.Sites, current.Links, Replace(current.Paths, candidate, p => p.Id), "Paths", candidate.Id);

    /// <summary>The list with the item of the same id replaced, or the item appended.</summary>
    private static List<T> Replace<T>(IReadOnlyList<T> items, T candidate, Func<T, string> id)
    {
        var list = items.ToList();
        var index = list.FindIndex(x => id(x) == id(candidate));
        if (index >= 0)
        {
            list[index] = candidate;
        }
        else
        {
            list.Add(candidate);
        }

        return list;
    }

    private static Dictionary<string, string[]> Check(
        IReadOnlyList<Site> sites, IReadOnlyList<WanLink> links, IReadOnlyList<PathDefinition> paths, string kind, string id)
    {
        var errors = TopologyRules.Validate(sites, links, paths);
        var list = kind switch
        {
            "Sites" => sites.Select(s => s.Id).ToList(),
            "Links" => links.Select(l => l.Id).ToList(),
            _ => paths.Select(p => p.Id).ToList(),
        };
        var prefix = $"{kind}:{list.IndexOf(id)}:";
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var error in errors.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = error.Key[prefix.Length..].Split(':');
            var field = s_fieldNames.GetValueOrDefault(rest[0], rest[0]);
            foreach (var part in rest.Skip(1))
            {
                // Targets:2 → targets[2]; Thresholds:LatencyMs → thresholds.latency_ms; Bfd:Auth:Secret → bfd.auth.secret
                field += int.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out _)
                    ? $"[{part}]"
                    : $".{s_fieldNames.GetValueOrDefault(part, part)}";
            }

            if (!result.TryGetValue(field, out var messages))
            {
                result[field] = messages = [];
            }

            messages.Add(error.Message);
        }

        return result.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }
}
