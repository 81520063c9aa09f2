using Patronus.Engine.Bfd;
using Patronus.Engine.Health;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Paths;

/// <summary>Where a site, link or path was defined. Only <see cref="Api"/> items may be changed through the API.</summary>
public enum ItemSource
{
    /// <summary>Defined in the configuration file (or environment overrides): read-only at run time.</summary>
    Config,

    /// <summary>Defined by the built-in quickstart (serve without <c>--config</c>): read-only.</summary>
    Quickstart,

    /// <summary>Created through the REST or GraphQL API and owned by the store.</summary>
    Api,
}

/// <summary>A location running a Patronus edge, e.g. a branch office or a data centre.</summary>
public sealed record Site(string Id, string Name, string? Description, ItemSource Source)
{
    /// <summary>True when the item comes from config or the quickstart and so cannot be changed at run time.</summary>
    public bool ReadOnly => Source != ItemSource.Api;
}

/// <summary>A WAN uplink of a site (fibre, LTE, …).</summary>
/// <param name="Id">Unique link id.</param>
/// <param name="SiteId">The site the link belongs to.</param>
/// <param name="Name">Display name.</param>
/// <param name="Interface">Kernel interface the link leaves through (e.g. <c>eth1</c>); probes bind to it with SO_BINDTODEVICE.</param>
/// <param name="SourceAddress">Local address on the link; probes and tunnels use it as their source.</param>
/// <param name="Gateway">Next hop on the link; failover installs routes via it.</param>
/// <param name="Cost">Administrative cost, lower is preferred (0–65535, default 10).</param>
/// <param name="Source">Where the link was defined.</param>
public sealed record WanLink(
    string Id,
    string SiteId,
    string Name,
    string? Interface,
    string? SourceAddress,
    string? Gateway,
    int Cost,
    ItemSource Source)
{
    /// <summary>Default administrative cost of a link.</summary>
    public const int DefaultCost = 10;

    /// <inheritdoc cref="Site.ReadOnly"/>
    public bool ReadOnly => Source != ItemSource.Api;
}

/// <summary>A path: traffic leaving through one local link towards one or more remote targets.</summary>
/// <param name="Id">Unique path id (the seed's <c>path_id</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="LinkId">The local link the path leaves through.</param>
/// <param name="RemoteSiteId">The site at the far end, when it is one of ours.</param>
/// <param name="Targets">Remote endpoints probed for this path: IP literals, optionally with a port (<c>10.0.0.1</c>, <c>10.0.0.1:862</c>, <c>[2001:db8::1]:862</c>).</param>
/// <param name="Source">Where the path was defined.</param>
/// <param name="Probe">How targets are probed: STAMP over UDP (default) or ICMP echo.</param>
/// <param name="Quorum">The path is reachable when at least this many targets answer (k of n; default 1).</param>
/// <param name="Thresholds">Scoring thresholds of this path; null means the defaults (150 ms, 5 %, 30 ms).</param>
/// <param name="Bfd">The path's BFD session, or null when the path runs none.</param>
public sealed record PathDefinition(
    string Id,
    string Name,
    string LinkId,
    string? RemoteSiteId,
    IReadOnlyList<string> Targets,
    ItemSource Source,
    ProbeProtocol Probe = ProbeProtocol.Stamp,
    int Quorum = 1,
    HealthThresholds? Thresholds = null,
    BfdPathSettings? Bfd = null)
{
    /// <summary>UDP port of a STAMP target given without one (RFC 8762's well-known port).</summary>
    public const int DefaultStampPort = 862;

    /// <summary>Value equality including the target list (records compare lists by reference).</summary>
    public bool SameAs(PathDefinition other) =>
        other is not null && this with { Targets = other.Targets } == other && Targets.SequenceEqual(other.Targets);

    /// <summary>The thresholds in force: the path's own, or the defaults.</summary>
    public HealthThresholds EffectiveThresholds => Thresholds ?? HealthThresholds.Default;

    /// <inheritdoc cref="Site.ReadOnly"/>
    public bool ReadOnly => Source != ItemSource.Api;
}

/// <summary>
/// An immutable, validated view of all sites, links and paths. Readers on any thread use the
/// current snapshot without locks; writers build a new one and swap it in.
/// </summary>
public sealed class TopologySnapshot
{
    /// <summary>The empty topology.</summary>
    public static TopologySnapshot Empty { get; } = new([], [], []);

    public TopologySnapshot(IReadOnlyList<Site> sites, IReadOnlyList<WanLink> links, IReadOnlyList<PathDefinition> paths)
    {
        Sites = sites;
        Links = links;
        Paths = paths;
        SitesById = sites.ToDictionary(s => s.Id, StringComparer.Ordinal);
        LinksById = links.ToDictionary(l => l.Id, StringComparer.Ordinal);
        PathsById = paths.ToDictionary(p => p.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<Site> Sites { get; }

    public IReadOnlyList<WanLink> Links { get; }

    public IReadOnlyList<PathDefinition> Paths { get; }

    public IReadOnlyDictionary<string, Site> SitesById { get; }

    public IReadOnlyDictionary<string, WanLink> LinksById { get; }

    public IReadOnlyDictionary<string, PathDefinition> PathsById { get; }

    /// <summary>The site a path belongs to (the site of its link).</summary>
    public string? SiteOf(PathDefinition path) =>
        LinksById.TryGetValue(path.LinkId, out var link) ? link.SiteId : null;
}
