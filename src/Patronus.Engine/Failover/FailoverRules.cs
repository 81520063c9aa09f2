using System.Globalization;
using System.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Failover;

/// <summary>
/// Validation of failover policies as a whole, shared by the config loader and the API so both
/// reject the same things with the same words. Errors are keyed by config path
/// (<c>FailoverPolicies:0:Backups:1</c>); the API maps them to its field names.
/// </summary>
public static class FailoverRules
{
    /// <summary>Longest failback delay accepted: one day (a longer one means "never", which is what disabling is for).</summary>
    public static readonly TimeSpan MaxFailbackDelay = TimeSpan.FromDays(1);

    public const int MaxPrefixes = 1024;

    /// <summary>
    /// Every problem of <paramref name="policies"/> against <paramref name="topology"/>; a policy's
    /// <see cref="FailoverPolicy.Class"/> must be one of <paramref name="trafficClasses"/> (the
    /// configured <c>TrafficClasses</c> names; null: none configured). A prefix is steered by at
    /// most one policy per class (and one without a class): a class policy and the class-less one
    /// may share it, that is their point.
    /// </summary>
    public static IReadOnlyList<TopologyError> Validate(IReadOnlyList<FailoverPolicy> policies, TopologySnapshot topology, IReadOnlyCollection<string>? trafficClasses = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(topology);
        var errors = new List<TopologyError>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var prefixOwners = new Dictionary<(string Class, IPNetwork Prefix), string>();
        for (var i = 0; i < policies.Count; i++)
        {
            var p = policies[i];
            var key = $"FailoverPolicies:{i}";
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                errors.Add(new($"{key}:Name", null, "is required"));
            }
            else if (TopologyRules.CheckId(p.Name) is not null)
            {
                errors.Add(new($"{key}:Name", p.Name,
                    $"'{p.Name}' is not a valid name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most {TopologyRules.MaxIdLength} characters)"));
            }
            else if (!names.Add(p.Name))
            {
                errors.Add(new($"{key}:Name", p.Name, $"duplicate policy name '{p.Name}'"));
            }

            CheckClass(errors, key, p, trafficClasses ?? []);
            CheckPaths(errors, key, p, topology);
            CheckThresholds(errors, key, p);
            CheckPrefixes(errors, key, p, prefixOwners);
        }

        return errors;
    }

    private static void CheckPaths(List<TopologyError> errors, string key, FailoverPolicy p, TopologySnapshot topology)
    {
        if (string.IsNullOrEmpty(p.PrimaryPathId))
        {
            errors.Add(new($"{key}:Primary", p.Name, "is required"));
        }
        else if (!topology.PathsById.ContainsKey(p.PrimaryPathId))
        {
            errors.Add(new($"{key}:Primary", p.Name, $"path '{p.PrimaryPathId}' is not defined"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var b = 0; b < p.BackupPathIds.Count; b++)
        {
            var id = p.BackupPathIds[b];
            var bkey = $"{key}:Backups:{b}";
            if (id == p.PrimaryPathId)
            {
                errors.Add(new(bkey, p.Name, $"'{id}' is the primary path; a backup must be another path"));
            }
            else if (!topology.PathsById.ContainsKey(id ?? string.Empty))
            {
                errors.Add(new(bkey, p.Name, $"path '{id}' is not defined"));
            }
            else if (!seen.Add(id!))
            {
                errors.Add(new(bkey, p.Name, $"duplicate backup '{id}'"));
            }
        }
    }

    private static void CheckThresholds(List<TopologyError> errors, string key, FailoverPolicy p)
    {
        var fo = CheckScore(p.FailoverThreshold);
        var fb = CheckScore(p.FailbackThreshold);
        if (fo is not null)
        {
            errors.Add(new($"{key}:FailoverThreshold", p.Name, fo));
        }

        if (fb is not null)
        {
            errors.Add(new($"{key}:FailbackThreshold", p.Name, fb));
        }

        // Hysteresis: a primary must be clearly better to be returned to than to be left.
        if (fo is null && fb is null && p.FailoverThreshold >= p.FailbackThreshold)
        {
            errors.Add(new($"{key}:FailbackThreshold", p.Name, string.Create(CultureInfo.InvariantCulture,
                $"{p.FailbackThreshold} must be greater than the failover threshold {p.FailoverThreshold} (the gap is the hysteresis)")));
        }

        if (p.FailbackDelay < TimeSpan.Zero || p.FailbackDelay > MaxFailbackDelay)
        {
            errors.Add(new($"{key}:FailbackDelaySecs", p.Name, string.Create(CultureInfo.InvariantCulture,
                $"{p.FailbackDelay.TotalSeconds} is out of range (0–{MaxFailbackDelay.TotalSeconds})")));
        }
    }

    private static string? CheckScore(double value) =>
        double.IsFinite(value) && value is >= 0 and <= 100 ? null : string.Create(CultureInfo.InvariantCulture, $"{value} is out of range (0–100)");

    private static void CheckClass(List<TopologyError> errors, string key, FailoverPolicy p, IReadOnlyCollection<string> classes)
    {
        if (p.Class is null)
        {
            return;
        }

        if (!classes.Contains(p.Class, StringComparer.Ordinal))
        {
            errors.Add(new($"{key}:Class", p.Name, classes.Count == 0
                ? $"'{p.Class}' is not a traffic class: TrafficClasses defines none"
                : $"'{p.Class}' is not a traffic class (TrafficClasses: {string.Join(", ", classes)})"));
        }
    }

    private static void CheckPrefixes(List<TopologyError> errors, string key, FailoverPolicy p, Dictionary<(string, IPNetwork), string> owners)
    {
        if (p.Prefixes.Count > MaxPrefixes)
        {
            errors.Add(new($"{key}:Prefixes", p.Name, $"{p.Prefixes.Count} prefixes; at most {MaxPrefixes}"));
        }

        for (var i = 0; i < p.Prefixes.Count; i++)
        {
            var prefix = p.Prefixes[i];
            if (prefix.BaseAddress is null)
            {
                errors.Add(new($"{key}:Prefixes:{i}", p.Name, "is not a prefix"));
            }
            else if (owners.TryGetValue((p.Class ?? "", prefix), out var owner))
            {
                errors.Add(new($"{key}:Prefixes:{i}", p.Name, owner == p.Name
                    ? $"duplicate prefix {prefix}"
                    : p.Class is null
                        ? $"prefix {prefix} is already steered by policy '{owner}'"
                        : $"prefix {prefix} is already steered for class {p.Class} by policy '{owner}'"));
            }
            else
            {
                owners[(p.Class ?? "", prefix)] = p.Name;
            }
        }
    }

    /// <summary>
    /// Parses a prefix written canonically (<c>10.99.0.0/16</c>, <c>2001:db8::/32</c>): host bits
    /// must be zero, since <c>10.99.1.0/16</c> is almost always a typo for something else.
    /// </summary>
    public static string? ParsePrefix(string? text, out IPNetwork prefix)
    {
        prefix = default;
        if (string.IsNullOrWhiteSpace(text) || !text.Contains('/', StringComparison.Ordinal))
        {
            return $"'{text}' is not a prefix (address/length, e.g. 10.99.0.0/16)";
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (TopologyRules.CheckAddress(text[..slash], out var address) is not null ||
            !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ||
            length > (address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
        {
            return $"'{text}' is not a prefix (address/length, e.g. 10.99.0.0/16)";
        }

        var masked = MaskedText(address, length);
        if (masked != $"{address}/{length}")
        {
            return $"'{text}' has host bits set; did you mean {masked}?";
        }

        prefix = new IPNetwork(address, length);
        return null;
    }

    private static string MaskedText(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return $"{new IPAddress(bytes)}/{length}";
    }
}
