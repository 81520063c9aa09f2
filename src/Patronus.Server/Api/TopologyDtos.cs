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

/// <summary>Scoring thresholds of a path.</summary>
public sealed record ThresholdsDto(double LatencyMs, double LossPct, double JitterMs)
{
    public static ThresholdsDto From(HealthThresholds t) => new(t.LatencyMs, t.LossPct, t.JitterMs);
}
