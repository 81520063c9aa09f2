using System.Net;
using System.Text.RegularExpressions;

namespace Patronus.Engine.Paths;

/// <summary>
/// Field and cross-reference rules for sites, links and paths, shared by the config loader and
/// the API so both reject exactly the same things with the same words. Every rule returns an
/// error message (or null) rather than throwing: bad input is a value.
/// </summary>
public static partial class TopologyRules
{
    /// <summary>Longest id accepted (ids appear in metric labels and URLs, so they stay short).</summary>
    public const int MaxIdLength = 64;

    /// <summary>Longest display name or description accepted.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Linux IFNAMSIZ is 16 including the terminating NUL.</summary>
    public const int MaxInterfaceLength = 15;

    public const int MinCost = 0;

    public const int MaxCost = 65535;

    /// <summary>A path needs at least one target and probing more than this many from one path is a config mistake.</summary>
    public const int MaxTargets = 16;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    public static string? CheckId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "is required";
        }

        if (id.Length > MaxIdLength)
        {
            return $"'{id}' is longer than {MaxIdLength} characters";
        }

        return IdPattern().IsMatch(id)
            ? null
            : $"'{id}' is not a valid id (letters, digits, '.', '_' and '-', starting with a letter or digit)";
    }

    public static string? CheckName(string? name) =>
        name is not null && name.Length > MaxNameLength ? $"is longer than {MaxNameLength} characters" : null;

    public static string? CheckInterface(string? name)
    {
        if (name is null)
        {
            return null;
        }

        if (name.Length is 0 or > MaxInterfaceLength)
        {
            return $"'{name}' is not a valid interface name (1 to {MaxInterfaceLength} characters)";
        }

        foreach (var c in name)
        {
            if (c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return $"'{name}' is not a valid interface name (no '/', ':' or whitespace)";
            }
        }

        return null;
    }

    public static string? CheckAddress(string? address, out IPAddress? parsed)
    {
        parsed = null;
        if (address is null)
        {
            return null;
        }

        // IPAddress.TryParse accepts "1" or "010.1" as IPv4 shorthands; an engineer who typed that made a
        // mistake, so only the canonical dotted quad (or an IPv6 literal) is accepted. It also accepts
        // "[2001:db8::1]:862" and silently drops the port, so brackets are not part of an address.
        if (!IPAddress.TryParse(address, out parsed) ||
            (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && parsed.ToString() != address) ||
            address.AsSpan().IndexOfAny('%', '[', ']') >= 0)
        {
            parsed = null;
            return $"'{address}' is not an IP address";
        }

        return null;
    }

    public static string? CheckCost(int cost) =>
        cost is < MinCost or > MaxCost ? $"{cost} is out of range ({MinCost}–{MaxCost})" : null;

    /// <summary>Parses a target: an IP literal, optionally with a port (<c>[v6]:port</c> for IPv6).</summary>
    public static string? CheckTarget(string? target, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(target))
        {
            return "is empty";
        }

        if (CheckAddress(target, out var bare) is null)
        {
            endpoint = new IPEndPoint(bare!, 0);
            return null;
        }

        if (IPEndPoint.TryParse(target, out var ep) && ep.Port > 0 &&
            (target.StartsWith('[') || ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) &&
            CheckAddress(ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? target[..target.LastIndexOf(':')]
                : ep.Address.ToString(), out _) is null)
        {
            endpoint = ep;
            return null;
        }

        return $"'{target}' is not an IP address or address:port (use [addr]:port for IPv6)";
    }

    /// <summary>
    /// Checks a whole topology: every field, unique ids, and that each reference names an item that
    /// exists. Returns every problem found, keyed by the config path of the bad field
    /// (e.g. <c>Paths:0:Link</c>), so one run tells the operator everything to fix.
    /// </summary>
    public static IReadOnlyList<TopologyError> Validate(
        IReadOnlyList<Site> sites, IReadOnlyList<WanLink> links, IReadOnlyList<PathDefinition> paths)
    {
        var errors = new List<TopologyError>();
        var siteIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sites.Count; i++)
        {
            var s = sites[i];
            var key = $"Sites:{i}";
            Add(errors, $"{key}:Id", s.Id, CheckId(s.Id));
            Add(errors, $"{key}:Name", s.Id, CheckName(s.Name));
            Add(errors, $"{key}:Description", s.Id, CheckName(s.Description));
            if (!string.IsNullOrEmpty(s.Id) && !siteIds.Add(s.Id))
            {
                errors.Add(new($"{key}:Id", s.Id, $"duplicate site id '{s.Id}'"));
            }
        }

        var linkIds = new Dictionary<string, WanLink>(StringComparer.Ordinal);
        for (var i = 0; i < links.Count; i++)
        {
            var l = links[i];
            var key = $"Links:{i}";
            Add(errors, $"{key}:Id", l.Id, CheckId(l.Id));
            Add(errors, $"{key}:Name", l.Id, CheckName(l.Name));
            if (!string.IsNullOrEmpty(l.Id) && !linkIds.TryAdd(l.Id, l))
            {
                errors.Add(new($"{key}:Id", l.Id, $"duplicate link id '{l.Id}'"));
            }

            if (string.IsNullOrEmpty(l.SiteId))
            {
                errors.Add(new($"{key}:Site", l.Id, "is required"));
            }
            else if (!siteIds.Contains(l.SiteId))
            {
                errors.Add(new($"{key}:Site", l.Id, $"link '{l.Id}' refers to site '{l.SiteId}', which is not defined"));
            }

            Add(errors, $"{key}:Interface", l.Id, CheckInterface(l.Interface));
            Add(errors, $"{key}:SourceAddress", l.Id, CheckAddress(l.SourceAddress, out var src));
            Add(errors, $"{key}:Gateway", l.Id, CheckAddress(l.Gateway, out var gw));
            if (src is not null && gw is not null && src.AddressFamily != gw.AddressFamily)
            {
                errors.Add(new($"{key}:Gateway", l.Id, $"gateway {l.Gateway} is not of the same address family as source address {l.SourceAddress}"));
            }

            Add(errors, $"{key}:Cost", l.Id, CheckCost(l.Cost));
        }

        var pathIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < paths.Count; i++)
        {
            var p = paths[i];
            var key = $"Paths:{i}";
            Add(errors, $"{key}:Id", p.Id, CheckId(p.Id));
            Add(errors, $"{key}:Name", p.Id, CheckName(p.Name));
            if (!string.IsNullOrEmpty(p.Id) && !pathIds.Add(p.Id))
            {
                errors.Add(new($"{key}:Id", p.Id, $"duplicate path id '{p.Id}'"));
            }

            linkIds.TryGetValue(p.LinkId ?? string.Empty, out var link);
            if (string.IsNullOrEmpty(p.LinkId))
            {
                errors.Add(new($"{key}:Link", p.Id, "is required"));
            }
            else if (link is null)
            {
                errors.Add(new($"{key}:Link", p.Id, $"path '{p.Id}' refers to link '{p.LinkId}', which is not defined"));
            }

            if (p.RemoteSiteId is not null && !siteIds.Contains(p.RemoteSiteId))
            {
                errors.Add(new($"{key}:RemoteSite", p.Id, $"path '{p.Id}' refers to remote site '{p.RemoteSiteId}', which is not defined"));
            }

            CheckTargets(errors, key, p, link);
            CheckProbing(errors, key, p);
            CheckBfd(errors, key, p, link);
        }

        return errors;
    }

    private static void CheckTargets(List<TopologyError> errors, string key, PathDefinition p, WanLink? link)
    {
        if (p.Targets is null || p.Targets.Count == 0)
        {
            errors.Add(new($"{key}:Targets", p.Id, "at least one target is required"));
            return;
        }

        if (p.Targets.Count > MaxTargets)
        {
            errors.Add(new($"{key}:Targets", p.Id, $"{p.Targets.Count} targets; at most {MaxTargets} are allowed"));
        }

        _ = IPAddress.TryParse(link?.SourceAddress, out var source);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var t = 0; t < p.Targets.Count; t++)
        {
            var tkey = $"{key}:Targets:{t}";
            var problem = CheckTarget(p.Targets[t], out var ep);
            if (problem is not null)
            {
                errors.Add(new(tkey, p.Id, problem));
                continue;
            }

            if (!seen.Add(ep!.ToString()))
            {
                errors.Add(new(tkey, p.Id, $"duplicate target '{p.Targets[t]}'"));
            }

            // A probe sourced from an IPv4 address cannot reach an IPv6 target (and vice versa).
            if (source is not null && source.AddressFamily != ep.AddressFamily)
            {
                errors.Add(new(tkey, p.Id, $"target '{p.Targets[t]}' is not of the same address family as link '{link!.Id}' source address {link.SourceAddress}"));
            }
        }
    }

    /// <summary>Largest latency or jitter threshold accepted: one minute (beyond it nothing is "slow", it is down).</summary>
    public const double MaxTimeThresholdMs = 60_000;

    private static void CheckProbing(List<TopologyError> errors, string key, PathDefinition p)
    {
        var targets = p.Targets?.Count ?? 0;
        if (p.Quorum < 1 || (targets > 0 && p.Quorum > targets))
        {
            errors.Add(new($"{key}:Quorum", p.Id, $"{p.Quorum} is out of range (1 to the number of targets, {Math.Max(targets, 1)})"));
        }

        if (p.Thresholds is { } th)
        {
            Add(errors, $"{key}:Thresholds:LatencyMs", p.Id, CheckThreshold(th.LatencyMs, MaxTimeThresholdMs));
            Add(errors, $"{key}:Thresholds:LossPct", p.Id, CheckThreshold(th.LossPct, 100));
            Add(errors, $"{key}:Thresholds:JitterMs", p.Id, CheckThreshold(th.JitterMs, MaxTimeThresholdMs));
        }

        if (p.Probe == Probes.ProbeProtocol.Icmp && p.Targets is not null)
        {
            for (var t = 0; t < p.Targets.Count; t++)
            {
                if (CheckTarget(p.Targets[t], out var ep) is null && ep!.Port != 0)
                {
                    errors.Add(new($"{key}:Targets:{t}", p.Id, $"target '{p.Targets[t]}' has a port, but ICMP probes have none"));
                }
            }
        }
    }

    private static void CheckBfd(List<TopologyError> errors, string key, PathDefinition p, WanLink? link)
    {
        if (p.Bfd is not { } bfd)
        {
            return;
        }

        key += ":Bfd";
        if (string.IsNullOrWhiteSpace(bfd.Peer))
        {
            errors.Add(new($"{key}:Peer", p.Id, "is required"));
        }
        else if (CheckAddress(bfd.Peer, out var peer) is { } problem)
        {
            errors.Add(new($"{key}:Peer", p.Id, problem));
        }
        else if (IPAddress.TryParse(link?.SourceAddress, out var source) && source.AddressFamily != peer!.AddressFamily)
        {
            errors.Add(new($"{key}:Peer", p.Id, $"peer {bfd.Peer} is not of the same address family as link '{link!.Id}' source address {link.SourceAddress}"));
        }

        // A session needs a local address: the kernel would otherwise pick one per packet, and
        // the peer matches sessions by address (RFC 5881 §3).
        if (link is not null && link.SourceAddress is null)
        {
            errors.Add(new($"{key}:Peer", p.Id, $"link '{link.Id}' has no source address; a BFD session needs one"));
        }

        Add(errors, $"{key}:DesiredMinTxMs", p.Id, CheckRange(bfd.DesiredMinTxMs, Bfd.BfdPathSettings.MinIntervalMs, Bfd.BfdPathSettings.MaxIntervalMs));
        Add(errors, $"{key}:RequiredMinRxMs", p.Id, CheckRange(bfd.RequiredMinRxMs, Bfd.BfdPathSettings.MinIntervalMs, Bfd.BfdPathSettings.MaxIntervalMs));
        Add(errors, $"{key}:DetectMultiplier", p.Id, CheckRange(bfd.DetectMultiplier, 1, 255));
        Add(errors, $"{key}:MinTtl", p.Id, CheckRange(bfd.MinTtl, 1, 255));
        if (bfd.Auth is { } auth)
        {
            if (!Enum.IsDefined(auth.Type))
            {
                errors.Add(new($"{key}:Auth:Type", p.Id, $"'{auth.Type}' is not an authentication type ({Bfd.BfdAuthModeNames.All})"));
            }

            Add(errors, $"{key}:Auth:KeyId", p.Id, CheckRange(auth.KeyId, 0, 255));
            var bytes = System.Text.Encoding.UTF8.GetByteCount(auth.Secret ?? string.Empty);
            var max = Bfd.BfdAuthSettings.MaxSecretBytes(auth.Type);
            if (bytes is 0 || bytes > max)
            {
                // The message gives the length, never the secret.
                errors.Add(new($"{key}:Auth:Secret", p.Id, bytes == 0 ? "is required" : $"is {bytes} bytes long; {Bfd.BfdAuthModeNames.Name(auth.Type)} takes 1 to {max}"));
            }
        }
    }

    private static string? CheckRange(int value, int min, int max) =>
        value < min || value > max ? $"{value} is out of range ({min}–{max})" : null;

    /// <summary>A threshold divides the measurement in the score formula: it must be positive and finite.</summary>
    public static string? CheckThreshold(double value, double max) =>
        double.IsFinite(value) && value > 0 && value <= max ? null : $"{value} is out of range (greater than 0, at most {max})";

    private static void Add(List<TopologyError> errors, string key, string? id, string? problem)
    {
        if (problem is not null)
        {
            errors.Add(new(key, id, problem));
        }
    }
}

/// <summary>One validation problem: the config key of the bad field, the item id when known, and what is wrong.</summary>
public sealed record TopologyError(string Key, string? ItemId, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}
