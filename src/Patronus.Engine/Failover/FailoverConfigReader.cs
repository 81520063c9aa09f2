using System.Globalization;
using Microsoft.Extensions.Configuration;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Failover;

/// <summary>
/// Reads the <c>FailoverPolicies</c> list of the configuration, key by key (so every bad key is
/// reported at once and misspelt keys are errors), then validates the policies as a whole against
/// the topology with <see cref="FailoverRules"/>.
/// </summary>
public static class FailoverConfigReader
{
    public const string Section = "FailoverPolicies";

    private static readonly string[] s_keys = ["Name", "Primary", "Backups", "FailoverThreshold", "FailbackThreshold", "FailbackDelaySecs", "Enabled", "Prefixes", "Class"];

    public static (IReadOnlyList<FailoverPolicy> Policies, IReadOnlyList<TopologyError> Errors) Read(IConfiguration config, TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<TopologyError>();
        var policies = new List<FailoverPolicy>();
        var section = config.GetSection(Section);
        if (section.Value is not null)
        {
            return ([], [new(Section, null, "must be a list of objects")]);
        }

        foreach (var item in section.GetChildren())
        {
            var key = $"{Section}:{item.Key}";
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _) || item.Value is not null)
            {
                errors.Add(new(key, null, "must be a list of objects"));
                continue;
            }

            var name = item["Name"] ?? string.Empty;
            foreach (var child in item.GetChildren().Where(c => !s_keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
            {
                errors.Add(new($"{key}:{child.Key}", name, $"unknown key (expected one of {string.Join(", ", s_keys)})"));
            }

            var prefixes = new List<System.Net.IPNetwork>();
            foreach (var (text, index) in List(item.GetSection("Prefixes")).Select((t, i) => (t, i)))
            {
                if (FailoverRules.ParsePrefix(text, out var prefix) is { } problem)
                {
                    errors.Add(new($"{key}:Prefixes:{index}", name, problem));
                }
                else
                {
                    prefixes.Add(prefix);
                }
            }

            var trafficClass = item["Class"];
            if (trafficClass is { Length: 0 })
            {
                errors.Add(new($"{key}:Class", name, "must name a traffic class, or be left out"));
                trafficClass = null;
            }

            policies.Add(new FailoverPolicy(0, name, item["Primary"] ?? string.Empty, List(item.GetSection("Backups")),
                Number(item, "FailoverThreshold", key, name, FailoverPolicy.DefaultFailoverThreshold, errors),
                Number(item, "FailbackThreshold", key, name, FailoverPolicy.DefaultFailbackThreshold, errors),
                TimeSpan.FromSeconds(Number(item, "FailbackDelaySecs", key, name, FailoverPolicy.DefaultFailbackDelay.TotalSeconds, errors)),
                Bool(item, "Enabled", key, name, errors),
                prefixes, ItemSource.Config, trafficClass));
        }

        // A class names one of TrafficClasses (whose own problems that section's reader reports).
        var classes = Tunnels.Sdwan.TrafficClassRules.Read(config).Classes.Select(c => c.Name).ToList();
        errors.AddRange(FailoverRules.Validate(policies, topology, classes));
        return (errors.Count == 0 ? policies : [], errors);
    }

    private static List<string> List(IConfigurationSection section) =>
        section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? string.Empty).ToList();

    private static double Number(IConfigurationSection item, string name, string key, string id, double fallback, List<TopologyError> errors)
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

        errors.Add(new($"{key}:{name}", id, $"'{raw}' is not a number"));
        return fallback;
    }

    private static bool Bool(IConfigurationSection item, string name, string key, string id, List<TopologyError> errors)
    {
        var raw = item[name];
        if (raw is null)
        {
            return true;
        }

        if (bool.TryParse(raw, out var value))
        {
            return value;
        }

        errors.Add(new($"{key}:{name}", id, $"'{raw}' is not true or false"));
        return true;
    }
}
