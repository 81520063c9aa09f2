using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// Checks the <c>TrafficClasses</c> list as a whole, one message per problem naming its key
/// (<c>TrafficClasses:0:Match:1:Ports:0: …</c>), like the other sections; and parses the values
/// that <see cref="TrafficClassifier"/> compiles (one parser for both, so what validates compiles).
/// </summary>
public static partial class TrafficClassRules
{
    /// <summary>The configuration section.</summary>
    public const string Section = "TrafficClasses";

    private static readonly Dictionary<string, byte> s_protocols = new(StringComparer.OrdinalIgnoreCase)
    {
        ["icmp"] = 1,
        ["tcp"] = 6,
        ["udp"] = 17,
        ["gre"] = 47,
        ["esp"] = 50,
        ["icmpv6"] = 58,
        ["sctp"] = 132,
    };

    /// <summary>
    /// Binds the <c>TrafficClasses</c> list of <paramref name="configuration"/> (a key the options
    /// do not have is an error, not ignored) and validates it with <see cref="Validate"/>: the
    /// classes, or none with every problem.
    /// </summary>
    public static (IReadOnlyList<TrafficClassOptions> Classes, IReadOnlyList<string> Failures) Read(IConfiguration configuration, TopologySnapshot? topology = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        if (section.Value is not null)
        {
            return ([], [$"{Section}: must be a list of classes"]);
        }

        // Item by item: the binder's unknown-key check works on an object, not on a list of them.
        var classes = new List<TrafficClassOptions>();
        var problems = new List<string>();
        foreach (var item in section.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue))
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _) || item.Value is not null)
            {
                problems.Add($"{Section}:{item.Key}: must be a list of classes");
                continue;
            }

            var options = new TrafficClassOptions();
            try
            {
                item.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
                classes.Add(options);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add($"{Section}:{item.Key}: {Hosting.BinderErrors.Message(ex)}");
            }
        }

        if (problems.Count > 0)
        {
            return ([], problems);
        }

        var failures = Validate(classes, topology);
        return (failures.Count == 0 ? classes : [], failures);
    }

    /// <summary>
    /// Every problem of <paramref name="classes"/>; with <paramref name="topology"/>, also preferred
    /// paths that are not in it.
    /// </summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<TrafficClassOptions> classes, TopologySnapshot? topology = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var c = 0; c < classes.Count; c++)
        {
            var at = $"{Section}:{c}";
            var item = classes[c];
            if (!NamePattern().IsMatch(item.Name ?? ""))
            {
                failures.Add($"{at}:Name: '{item.Name}' must be 1–32 of letters, digits, '_', '.', '-'");
            }
            else if (string.Equals(item.Name, TrafficClassifier.DefaultName, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{at}:Name: '{TrafficClassifier.DefaultName}' is the class of packets no class matches; pick another name");
            }
            else if (!names.Add(item.Name!))
            {
                failures.Add($"{at}:Name: another class is named '{item.Name}'");
            }

            if (item.Match.Count == 0 && c < classes.Count - 1)
            {
                failures.Add($"{at}:Match: a class without rules takes every packet, so the classes after it would never match; put it last");
            }

            for (var m = 0; m < item.Match.Count; m++)
            {
                ValidateMatch(item.Match[m], $"{at}:Match:{m}", failures);
            }

            ValidateSla(item.Sla, $"{at}:Sla", failures);
            if (!TryParseDuplication(item.Duplication, out var duplication))
            {
                failures.Add($"{at}:Duplication: '{item.Duplication}' must be off, always or on-sla-breach");
            }
            else if (duplication == DuplicationMode.OnSlaBreach && item.Sla is not { MaxLatencyMs: not null } and not { MaxLossPercent: not null } and not { MaxJitterMs: not null })
            {
                failures.Add($"{at}:Duplication: on-sla-breach needs an Sla with at least one threshold");
            }

            if (item.DuplicationHoldSecs is < 1 or > 3600)
            {
                failures.Add($"{at}:DuplicationHoldSecs: must be 1–3600 seconds");
            }

            for (var p = 0; p < item.PreferredPaths.Count; p++)
            {
                var path = item.PreferredPaths[p];
                if (topology is not null && !topology.PathsById.ContainsKey(path))
                {
                    failures.Add($"{at}:PreferredPaths:{p}: no path '{path}' in the topology");
                }
                else if (item.PreferredPaths.IndexOf(path) != p)
                {
                    failures.Add($"{at}:PreferredPaths:{p}: '{path}' is listed twice");
                }
            }
        }

        return failures;
    }

    /// <summary>Parses a DSCP value: 0–63 or a standard name.</summary>
    public static bool TryParseDscp(string? text, out byte dscp)
    {
        dscp = 0;
        text = text?.Trim().ToUpperInvariant() ?? "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            dscp = (byte)number;
            return number <= 63;
        }

        int? value = text switch
        {
            "EF" => 46,
            "VA" => 44,
            "LE" => 1,
            ['C', 'S', >= '0' and <= '7'] => (text[2] - '0') * 8,
            ['A', 'F', >= '1' and <= '4', >= '1' and <= '3'] => ((text[2] - '0') * 8) + ((text[3] - '0') * 2),
            _ => null,
        };
        dscp = (byte)(value ?? 0);
        return value is not null;
    }

    /// <summary>Parses a protocol: a name of <see cref="TrafficMatchOptions.Protocol"/> or 0–255.</summary>
    public static bool TryParseProtocol(string? text, out byte protocol)
    {
        text = text?.Trim() ?? "";
        if (s_protocols.TryGetValue(text, out protocol))
        {
            return true;
        }

        return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out protocol);
    }

    /// <summary>Parses <c>PORT</c> or <c>LOW-HIGH</c> (0–65535, low ≤ high).</summary>
    public static bool TryParsePorts(string? text, out ushort low, out ushort high)
    {
        text = text?.Trim() ?? "";
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        low = high = 0;
        var ok = dash < 0
            ? ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out low)
            : ushort.TryParse(text.AsSpan(0, dash).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out low)
              && ushort.TryParse(text.AsSpan(dash + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out high);
        if (dash < 0)
        {
            high = low;
        }

        return ok && low <= high;
    }

    /// <summary>Parses <c>off</c>, <c>always</c> or <c>on-sla-breach</c> (any case).</summary>
    public static bool TryParseDuplication(string? text, out DuplicationMode mode)
    {
        mode = (text?.Trim().ToUpperInvariant() ?? "") switch
        {
            "OFF" => DuplicationMode.Off,
            "ALWAYS" => DuplicationMode.Always,
            "ON-SLA-BREACH" => DuplicationMode.OnSlaBreach,
            _ => (DuplicationMode)(-1),
        };
        return Enum.IsDefined(mode);
    }

    /// <summary>The configuration's word for <paramref name="mode"/>: <c>off</c>, <c>always</c> or <c>on-sla-breach</c>.</summary>
    public static string DuplicationName(DuplicationMode mode) => mode switch
    {
        DuplicationMode.Always => "always",
        DuplicationMode.OnSlaBreach => "on-sla-breach",
        _ => "off",
    };

    private static void ValidateMatch(TrafficMatchOptions match, string at, List<string> failures)
    {
        for (var i = 0; i < match.Dscp.Count; i++)
        {
            if (!TryParseDscp(match.Dscp[i], out _))
            {
                failures.Add($"{at}:Dscp:{i}: '{match.Dscp[i]}' is not 0–63 or a DSCP name (EF, AF11–AF43, CS0–CS7, VA, LE)");
            }
        }

        if (match.Protocol is not null && !TryParseProtocol(match.Protocol, out _))
        {
            failures.Add($"{at}:Protocol: '{match.Protocol}' is not tcp, udp, icmp, icmpv6, sctp, gre, esp or 0–255");
        }

        for (var i = 0; i < match.Ports.Count; i++)
        {
            if (!TryParsePorts(match.Ports[i], out _, out _))
            {
                failures.Add($"{at}:Ports:{i}: '{match.Ports[i]}' is not PORT or LOW-HIGH with 0 ≤ LOW ≤ HIGH ≤ 65535");
            }
        }

        if (match.Ports.Count > 0 && match.Protocol is not null && TryParseProtocol(match.Protocol, out var protocol) && protocol is not (6 or 17 or 33 or 132 or 136))
        {
            failures.Add($"{at}:Ports: protocol '{match.Protocol}' has no ports");
        }

        for (var i = 0; i < match.Prefixes.Count; i++)
        {
            if (!IpPrefix.TryParse(match.Prefixes[i], out _, out var error))
            {
                failures.Add($"{at}:Prefixes:{i}: {error}");
            }
        }
    }

    private static void ValidateSla(TrafficSlaOptions? sla, string at, List<string> failures)
    {
        if (sla?.MaxLatencyMs is { } latency && !(latency > 0))
        {
            failures.Add($"{at}:MaxLatencyMs: must be greater than 0");
        }

        if (sla?.MaxLossPercent is { } loss && !(loss is > 0 and <= 100))
        {
            failures.Add($"{at}:MaxLossPercent: must be greater than 0 and at most 100");
        }

        if (sla?.MaxJitterMs is { } jitter && !(jitter > 0))
        {
            failures.Add($"{at}:MaxJitterMs: must be greater than 0");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,32}$")]
    private static partial Regex NamePattern();
}
