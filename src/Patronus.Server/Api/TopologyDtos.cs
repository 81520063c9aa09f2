using Patronus.Engine.Bfd;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;

namespace Patronus.Server.Api;

/// <summary>A site as the API shows it.</summary>
public sealed record SiteDto(string Id, string Name, string? Description, string Source, bool ReadOnly)
{
    public static SiteDto From(Site s) => new(s.Id, s.Name, s.Description, SourceText(s.Source), s.ReadOnly);

    internal static string SourceText(ItemSource source) => source switch
    {
        ItemSource.Config => "config",
        ItemSource.Quickstart => "quickstart",
        _ => "api",
    };
}

/// <summary>A WAN link as the API shows it.</summary>
public sealed record LinkDto(string Id, string SiteId, string Name, string? Interface, string? SourceAddress, string? Gateway, int Cost, string Source, bool ReadOnly)
{
    public static LinkDto From(WanLink l) =>
        new(l.Id, l.SiteId, l.Name, l.Interface, l.SourceAddress, l.Gateway, l.Cost, SiteDto.SourceText(l.Source), l.ReadOnly);
}

/// <summary>A path as the API shows it; <c>site_id</c> is the site of its link; <c>thresholds</c> are the ones in force.</summary>
public sealed record PathDto(
    string Id, string Name, string? SiteId, string LinkId, string? RemoteSiteId, IReadOnlyList<string> Targets,
    string Probe, int Quorum, ThresholdsDto Thresholds, BfdDto? Bfd, string Source, bool ReadOnly)
{
    public static PathDto From(PathDefinition p, TopologySnapshot t) =>
        new(p.Id, p.Name, t.SiteOf(p), p.LinkId, p.RemoteSiteId, p.Targets, p.Probe == ProbeProtocol.Icmp ? "icmp" : "stamp", p.Quorum,
            ThresholdsDto.From(p.EffectiveThresholds), BfdDto.From(p.Bfd), SiteDto.SourceText(p.Source), p.ReadOnly);
}

/// <summary>A path's BFD settings as the API shows them: the secret is never returned.</summary>
public sealed record BfdDto(
    string Peer, bool Multihop, int DesiredMinTxMs, int RequiredMinRxMs, int DetectMultiplier, bool Passive, int MinTtl, BfdAuthDto? Auth, bool AdminDown)
{
    public static BfdDto? From(BfdPathSettings? b) => b is null
        ? null
        : new(b.Peer, b.Multihop, b.DesiredMinTxMs, b.RequiredMinRxMs, b.DetectMultiplier, b.Passive, b.MinTtl,
            b.Auth is { } a ? new BfdAuthDto(BfdAuthModeNames.Name(a.Type), a.KeyId) : null, b.AdminDown);
}

/// <summary>BFD authentication as shown: type and key id only.</summary>
public sealed record BfdAuthDto(string Type, int KeyId);

/// <summary>BFD settings in a path request; omitted fields take their defaults.</summary>
public sealed class BfdInput
{
    public string? Peer { get; set; }

    public bool? Multihop { get; set; }

    public int? DesiredMinTxMs { get; set; }

    public int? RequiredMinRxMs { get; set; }

    public int? DetectMultiplier { get; set; }

    public bool? Passive { get; set; }

    public int? MinTtl { get; set; }

    public BfdAuthInput? Auth { get; set; }

    public bool? AdminDown { get; set; }

    /// <summary>
    /// Builds the settings. An auth block without a secret keeps the path's current secret (the API
    /// never returns it, so a read-modify-write must not need it); with no current secret it is an error.
    /// </summary>
    internal IResult? ToSettings(BfdPathSettings? current, out BfdPathSettings? settings)
    {
        settings = null;
        BfdAuthSettings? auth = null;
        if (Auth is { } a)
        {
            if (!BfdAuthModeNames.TryParse(a.Type, out var type))
            {
                return Problems.Invalid("bfd.auth.type", a.Type is null ? "is required" : $"'{a.Type}' is not an authentication type ({BfdAuthModeNames.All})");
            }

            var secret = a.Secret ?? current?.Auth?.Secret;
            if (secret is null)
            {
                return Problems.Invalid("bfd.auth.secret", "is required");
            }

            auth = new BfdAuthSettings(type, a.KeyId ?? 0, secret);
        }

        settings = new BfdPathSettings(Peer ?? string.Empty, Multihop ?? false, DesiredMinTxMs ?? BfdPathSettings.DefaultIntervalMs,
            RequiredMinRxMs ?? BfdPathSettings.DefaultIntervalMs, DetectMultiplier ?? BfdPathSettings.DefaultDetectMultiplier, Passive ?? false,
            MinTtl ?? BfdPathSettings.DefaultMinTtl, auth, AdminDown ?? false);
        return null;
    }
}

/// <summary>BFD authentication in a request.</summary>
public sealed class BfdAuthInput
{
    /// <summary>simple-password, keyed-md5, meticulous-keyed-md5, keyed-sha1 or meticulous-keyed-sha1.</summary>
    public string? Type { get; set; }

    public int? KeyId { get; set; }

    /// <summary>Write-only; omitted on update keeps the current secret.</summary>
    public string? Secret { get; set; }
}

/// <summary>Scoring thresholds of a path.</summary>
public sealed record ThresholdsDto(double LatencyMs, double LossPct, double JitterMs)
{
    public static ThresholdsDto From(HealthThresholds t) => new(t.LatencyMs, t.LossPct, t.JitterMs);
}

/// <summary>Thresholds in a request; an omitted one takes its default.</summary>
public sealed class ThresholdsInput
{
    public double? LatencyMs { get; set; }

    public double? LossPct { get; set; }

    public double? JitterMs { get; set; }
}

/// <summary>Body of POST/PUT /api/v1/sites. <c>id</c> is required on POST; on PUT it may be omitted or must match the URL.</summary>
public sealed class SiteInput
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }
}

/// <summary>Body of POST/PUT /api/v1/links.</summary>
public sealed class LinkInput
{
    public string? Id { get; set; }

    public string? SiteId { get; set; }

    public string? Name { get; set; }

    public string? Interface { get; set; }

    public string? SourceAddress { get; set; }

    public string? Gateway { get; set; }

    public int? Cost { get; set; }
}

/// <summary>Body of POST/PUT /api/v1/paths.</summary>
public sealed class PathInput
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? LinkId { get; set; }

    public string? RemoteSiteId { get; set; }

    public IList<string>? Targets { get; set; }

    /// <summary><c>stamp</c> (default) or <c>icmp</c>.</summary>
    public string? Probe { get; set; }

    /// <summary>Targets that must answer for the path to be reachable (default 1).</summary>
    public int? Quorum { get; set; }

    public ThresholdsInput? Thresholds { get; set; }

    /// <summary>The path's BFD session; null for none.</summary>
    public BfdInput? Bfd { get; set; }
}
