using System.Globalization;
using Microsoft.Extensions.Configuration;
using Patronus.Engine.Bfd;
using Patronus.Engine.Health;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Paths;

/// <summary>
/// Reads the <c>Sites</c>, <c>Links</c> and <c>Paths</c> sections of the configuration into a
/// validated <see cref="TopologySnapshot"/>. It reads key by key instead of using the binder so
/// that it can report every bad key at once (the binder stops at the first) and can reject
/// misspelt keys, which the binder silently ignores.
/// </summary>
public static class TopologyConfigReader
{
    private static readonly string[] s_siteKeys = ["Id", "Name", "Description"];
    private static readonly string[] s_linkKeys = ["Id", "Site", "Name", "Interface", "SourceAddress", "Gateway", "Cost"];
    private static readonly string[] s_pathKeys = ["Id", "Name", "Link", "RemoteSite", "Targets", "Probe", "Quorum", "Thresholds", "Bfd"];
    private static readonly string[] s_bfdKeys = ["Peer", "Multihop", "DesiredMinTxMs", "RequiredMinRxMs", "DetectMultiplier", "Passive", "MinTtl", "Auth", "AdminDown"];
    private static readonly string[] s_bfdAuthKeys = ["Type", "KeyId", "Secret"];
    private static readonly string[] s_thresholdKeys = ["LatencyMs", "LossPct", "JitterMs"];

    /// <summary>Reads and validates. On any error the snapshot is null and every error is listed.</summary>
    public static (TopologySnapshot? Topology, IReadOnlyList<TopologyError> Errors) Read(IConfiguration config, ItemSource source)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<TopologyError>();
        var sites = new List<Site>();
        var links = new List<WanLink>();
        var paths = new List<PathDefinition>();

        foreach (var (i, item) in Items(config, "Sites", errors))
        {
            CheckKeys(item, $"Sites:{i}", s_siteKeys, errors);
            var id = item["Id"] ?? string.Empty;
            sites.Add(new Site(id, item["Name"] ?? id, item["Description"], source));
        }

        foreach (var (i, item) in Items(config, "Links", errors))
        {
            CheckKeys(item, $"Links:{i}", s_linkKeys, errors);
            var id = item["Id"] ?? string.Empty;
            var cost = ReadInt(item, "Cost", $"Links:{i}:Cost", id, WanLink.DefaultCost, errors);

            links.Add(new WanLink(id, item["Site"] ?? string.Empty, item["Name"] ?? id, Blank(item["Interface"]),
                Blank(item["SourceAddress"]), Blank(item["Gateway"]), cost, source));
        }

        foreach (var (i, item) in Items(config, "Paths", errors))
        {
            CheckKeys(item, $"Paths:{i}", s_pathKeys, errors);
            var id = item["Id"] ?? string.Empty;
            var targetsSection = item.GetSection("Targets");
            var targets = targetsSection.Value is { } single
                ? [single] // "Targets": "10.0.0.1" is accepted as a list of one
                : targetsSection.GetChildren().Select(c => c.Value ?? string.Empty).ToList();
            var probe = ProbeProtocol.Stamp;
            switch (item["Probe"]?.ToUpperInvariant())
            {
                case null or "STAMP":
                    break;
                case "ICMP":
                    probe = ProbeProtocol.Icmp;
                    break;
                default:
                    errors.Add(new($"Paths:{i}:Probe", id, $"'{item["Probe"]}' is not a probe protocol (stamp or icmp)"));
                    break;
            }

            var quorum = ReadInt(item, "Quorum", $"Paths:{i}:Quorum", id, 1, errors);
            HealthThresholds? thresholds = null;
            var th = item.GetSection("Thresholds");
            if (th.Exists())
            {
                CheckKeys(th, $"Paths:{i}:Thresholds", s_thresholdKeys, errors, id);
                thresholds = new HealthThresholds(
                    ReadDouble(th, "LatencyMs", $"Paths:{i}:Thresholds:LatencyMs", id, HealthThresholds.DefaultLatencyMs, errors),
                    ReadDouble(th, "LossPct", $"Paths:{i}:Thresholds:LossPct", id, HealthThresholds.DefaultLossPct, errors),
                    ReadDouble(th, "JitterMs", $"Paths:{i}:Thresholds:JitterMs", id, HealthThresholds.DefaultJitterMs, errors));
            }

            paths.Add(new PathDefinition(id, item["Name"] ?? id, item["Link"] ?? string.Empty, Blank(item["RemoteSite"]), targets, source,
                probe, quorum, thresholds, ReadBfd(item.GetSection("Bfd"), $"Paths:{i}:Bfd", id, errors)));
        }

        errors.AddRange(TopologyRules.Validate(sites, links, paths));
        return errors.Count == 0 ? (new TopologySnapshot(sites, links, paths), errors) : (null, errors);
    }

    private static BfdPathSettings? ReadBfd(IConfigurationSection bfd, string key, string id, List<TopologyError> errors)
    {
        if (!bfd.Exists())
        {
            return null;
        }

        CheckKeys(bfd, key, s_bfdKeys, errors, id);
        BfdAuthSettings? auth = null;
        var a = bfd.GetSection("Auth");
        if (a.Exists())
        {
            CheckKeys(a, $"{key}:Auth", s_bfdAuthKeys, errors, id);
            if (!BfdAuthModeNames.TryParse(a["Type"], out var type))
            {
                errors.Add(new($"{key}:Auth:Type", id, a["Type"] is null ? "is required" : $"'{a["Type"]}' is not an authentication type ({BfdAuthModeNames.All})"));
                type = BfdAuthMode.KeyedSha1;
            }

            auth = new BfdAuthSettings(type, ReadInt(a, "KeyId", $"{key}:Auth:KeyId", id, 0, errors), a["Secret"] ?? string.Empty);
        }

        return new BfdPathSettings(
            bfd["Peer"] ?? string.Empty,
            ReadBool(bfd, "Multihop", $"{key}:Multihop", id, errors),
            ReadInt(bfd, "DesiredMinTxMs", $"{key}:DesiredMinTxMs", id, BfdPathSettings.DefaultIntervalMs, errors),
            ReadInt(bfd, "RequiredMinRxMs", $"{key}:RequiredMinRxMs", id, BfdPathSettings.DefaultIntervalMs, errors),
            ReadInt(bfd, "DetectMultiplier", $"{key}:DetectMultiplier", id, BfdPathSettings.DefaultDetectMultiplier, errors),
            ReadBool(bfd, "Passive", $"{key}:Passive", id, errors),
            ReadInt(bfd, "MinTtl", $"{key}:MinTtl", id, BfdPathSettings.DefaultMinTtl, errors),
            auth,
            ReadBool(bfd, "AdminDown", $"{key}:AdminDown", id, errors));
    }

    private static bool ReadBool(IConfigurationSection item, string name, string key, string id, List<TopologyError> errors)
    {
        var raw = item[name];
        if (raw is null || bool.TryParse(raw, out var value) && !value)
        {
            return false;
        }

        if (bool.TryParse(raw, out value))
        {
            return value;
        }

        errors.Add(new(key, id, $"'{raw}' is not true or false"));
        return false;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IEnumerable<(string Index, IConfigurationSection Item)> Items(IConfiguration config, string name, List<TopologyError> errors)
    {
        var section = config.GetSection(name);
        if (section.Value is not null)
        {
            errors.Add(new(name, null, "must be a list of objects"));
            yield break;
        }

        foreach (var child in section.GetChildren())
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new($"{name}:{child.Key}", null, "must be a list of objects (found a named key)"));
                continue;
            }

            if (child.Value is not null)
            {
                errors.Add(new($"{name}:{child.Key}", null, "must be an object"));
                continue;
            }

            yield return (child.Key, child);
        }
    }

    private static void CheckKeys(IConfigurationSection item, string key, string[] known, List<TopologyError> errors, string? id = null)
    {
        foreach (var child in item.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(new($"{key}:{child.Key}", id ?? item["Id"], $"unknown key (expected one of {string.Join(", ", known)})"));
            }
        }
    }

    private static int ReadInt(IConfigurationSection item, string name, string key, string id, int fallback, List<TopologyError> errors)
    {
        var raw = item[name];
        if (raw is null)
        {
            return fallback;
        }

        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(new(key, id, $"'{raw}' is not a whole number"));
        return fallback;
    }

    private static double ReadDouble(IConfigurationSection item, string name, string key, string id, double fallback, List<TopologyError> errors)
    {
        var raw = item[name];
        if (raw is null)
        {
            return fallback;
        }

        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(new(key, id, $"'{raw}' is not a number"));
        return fallback;
    }
}
