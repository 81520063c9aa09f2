using Patronus.Engine.Bfd;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;

namespace Patronus.Server.Commands;

/// <summary>A site in a request (REST body, GraphQL <c>SiteInput</c>). <c>id</c> is required on create; on update it may be omitted or must match.</summary>
public sealed class SiteInput
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    internal static SiteInput From(Site s) => new() { Id = s.Id, Name = s.Name, Description = s.Description };
}

/// <summary>A WAN link in a request.</summary>
public sealed class LinkInput
{
    public string? Id { get; set; }

    public string? SiteId { get; set; }

    public string? Name { get; set; }

    public string? Interface { get; set; }

    public string? SourceAddress { get; set; }

    public string? Gateway { get; set; }

    public int? Cost { get; set; }

    internal static LinkInput From(WanLink l) => new()
    {
        Id = l.Id,
        SiteId = l.SiteId,
        Name = l.Name,
        Interface = l.Interface,
        SourceAddress = l.SourceAddress,
        Gateway = l.Gateway,
        Cost = l.Cost,
    };
}

/// <summary>A path in a request.</summary>
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

    internal static PathInput From(PathDefinition p) => new()
    {
        Id = p.Id,
        Name = p.Name,
        LinkId = p.LinkId,
        RemoteSiteId = p.RemoteSiteId,
        Targets = [.. p.Targets],
        Probe = p.Probe == ProbeProtocol.Icmp ? "icmp" : "stamp",
        Quorum = p.Quorum,
        Thresholds = p.Thresholds is { } t ? new ThresholdsInput { LatencyMs = t.LatencyMs, LossPct = t.LossPct, JitterMs = t.JitterMs } : null,
        Bfd = p.Bfd is { } b ? BfdInput.From(b) : null,
    };
}

/// <summary>Thresholds in a request; an omitted one takes its default.</summary>
public sealed class ThresholdsInput
{
    public double? LatencyMs { get; set; }

    public double? LossPct { get; set; }

    public double? JitterMs { get; set; }

    internal HealthThresholds ToThresholds() => new(
        LatencyMs ?? HealthThresholds.DefaultLatencyMs, LossPct ?? HealthThresholds.DefaultLossPct, JitterMs ?? HealthThresholds.DefaultJitterMs);
}

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

    /// <summary>The settings as an input, without the secret (which is never shown).</summary>
    internal static BfdInput From(BfdPathSettings b) => new()
    {
        Peer = b.Peer,
        Multihop = b.Multihop,
        DesiredMinTxMs = b.DesiredMinTxMs,
        RequiredMinRxMs = b.RequiredMinRxMs,
        DetectMultiplier = b.DetectMultiplier,
        Passive = b.Passive,
        MinTtl = b.MinTtl,
        Auth = b.Auth is { } a ? new BfdAuthInput { Type = BfdAuthModeNames.Name(a.Type), KeyId = a.KeyId } : null,
        AdminDown = b.AdminDown,
    };

    /// <summary>
    /// Builds the settings. An auth block without a secret keeps the path's current secret (the API
    /// never returns it, so a read-modify-write must not need it); with no current secret it is an error.
    /// </summary>
    internal CommandError? ToSettings(BfdPathSettings? current, out BfdPathSettings? settings)
    {
        settings = null;
        BfdAuthSettings? auth = null;
        if (Auth is { } a)
        {
            if (!BfdAuthModeNames.TryParse(a.Type, out var type))
            {
                return CommandError.Invalid("bfd.auth.type", a.Type is null ? "is required" : $"'{a.Type}' is not an authentication type ({BfdAuthModeNames.All})");
            }

            var secret = a.Secret ?? current?.Auth?.Secret;
            if (secret is null)
            {
                return CommandError.Invalid("bfd.auth.secret", "is required");
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
