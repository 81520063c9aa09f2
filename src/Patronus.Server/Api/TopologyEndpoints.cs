using Patronus.Engine.Bfd;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;

namespace Patronus.Server.Api;

/// <summary>
/// CRUD for sites, links and paths under <c>/api/v1</c>. Items from config or the quickstart are
/// listed with <c>read_only: true</c>; changing them answers 409 naming where they are defined.
/// Every write is validated against the whole topology before it reaches the store.
/// </summary>
internal static class TopologyEndpoints
{
    public static RouteGroupBuilder MapTopology(this RouteGroupBuilder api)
    {
        var sites = api.MapGroup("/sites").WithTags("sites");
        sites.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Sites.Select(SiteDto.From)));
        sites.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.SitesById.TryGetValue(id, out var s) ? Results.Ok(SiteDto.From(s)) : Problems.NotFound("site", id));
        sites.MapPost("/", (HttpRequest r, TopologyService t, CancellationToken ct) => WriteSiteAsync(r, t, null, ct));
        sites.MapPut("/{id}", (string id, HttpRequest r, TopologyService t, CancellationToken ct) => WriteSiteAsync(r, t, id, ct));
        sites.MapDelete("/{id}", (string id, TopologyService t, CancellationToken ct) =>
            DeleteAsync(t, (s, c) => s.DeleteSiteAsync(id, c), ct));

        var links = api.MapGroup("/links").WithTags("links");
        links.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Links.Select(LinkDto.From)));
        links.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.LinksById.TryGetValue(id, out var l) ? Results.Ok(LinkDto.From(l)) : Problems.NotFound("link", id));
        links.MapPost("/", (HttpRequest r, TopologyService t, CancellationToken ct) => WriteLinkAsync(r, t, null, ct));
        links.MapPut("/{id}", (string id, HttpRequest r, TopologyService t, CancellationToken ct) => WriteLinkAsync(r, t, id, ct));
        links.MapDelete("/{id}", (string id, TopologyService t, CancellationToken ct) =>
            DeleteAsync(t, (s, c) => s.DeleteLinkAsync(id, c), ct));

        var paths = api.MapGroup("/paths").WithTags("paths");
        paths.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Paths.Select(p => PathDto.From(p, t.Current))));
        paths.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.PathsById.TryGetValue(id, out var p) ? Results.Ok(PathDto.From(p, t.Current)) : Problems.NotFound("path", id));
        paths.MapPost("/", (HttpRequest r, TopologyService t, CancellationToken ct) => WritePathAsync(r, t, null, ct));
        paths.MapPut("/{id}", (string id, HttpRequest r, TopologyService t, CancellationToken ct) => WritePathAsync(r, t, id, ct));
        paths.MapDelete("/{id}", (string id, TopologyService t, Engine.Failover.FailoverPolicyService policies, CancellationToken ct) =>
            policies.Current.FirstOrDefault(p => p.AllPaths.Contains(id, StringComparer.Ordinal)) is { } user
                ? Task.FromResult(Problems.Status(StatusCodes.Status409Conflict, "In use", $"path '{id}' is used by failover policy {user.Id} ('{user.Name}')"))
                : DeleteAsync(t, (s, c) => s.DeletePathAsync(id, c), ct));
        return api;
    }

    private static async Task<IResult> WriteSiteAsync(HttpRequest request, TopologyService topology, string? routeId, CancellationToken ct)
    {
        var (input, problem) = await ApiJson.ReadAsync<SiteInput>(request, ct).ConfigureAwait(false);
        return problem ?? await SaveSiteAsync(input!, topology, routeId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates (<paramref name="routeId"/> null) or replaces a site: the REST and GraphQL writes share this.</summary>
    internal static async Task<IResult> SaveSiteAsync(SiteInput input, TopologyService topology, string? routeId, CancellationToken ct)
    {
        if (ResolveId(input.Id, routeId, out var id) is { } idProblem)
        {
            return idProblem;
        }

        var site = new Site(id, input.Name ?? id, input.Description, ItemSource.Api);
        return await SaveAsync(topology, "site", routeId, id, TopologyValidation.Site(topology.Current, site),
            topology.Current.SitesById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertSiteAsync(site, c) : s.UpdateSiteAsync(site, c),
            t => SiteDto.From(t.SitesById[id]), "sites", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> WriteLinkAsync(HttpRequest request, TopologyService topology, string? routeId, CancellationToken ct)
    {
        var (input, problem) = await ApiJson.ReadAsync<LinkInput>(request, ct).ConfigureAwait(false);
        return problem ?? await SaveLinkAsync(input!, topology, routeId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates (<paramref name="routeId"/> null) or replaces a link: the REST and GraphQL writes share this.</summary>
    internal static async Task<IResult> SaveLinkAsync(LinkInput input, TopologyService topology, string? routeId, CancellationToken ct)
    {
        if (ResolveId(input.Id, routeId, out var id) is { } idProblem)
        {
            return idProblem;
        }

        if (string.IsNullOrEmpty(input.SiteId))
        {
            return Problems.Invalid("site_id", "is required");
        }

        var link = new WanLink(id, input.SiteId, input.Name ?? id, input.Interface, input.SourceAddress, input.Gateway,
            input.Cost ?? WanLink.DefaultCost, ItemSource.Api);
        return await SaveAsync(topology, "link", routeId, id, TopologyValidation.Link(topology.Current, link),
            topology.Current.LinksById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertLinkAsync(link, c) : s.UpdateLinkAsync(link, c),
            t => LinkDto.From(t.LinksById[id]), "links", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> WritePathAsync(HttpRequest request, TopologyService topology, string? routeId, CancellationToken ct)
    {
        var (input, problem) = await ApiJson.ReadAsync<PathInput>(request, ct).ConfigureAwait(false);
        return problem ?? await SavePathAsync(input!, topology, routeId, ct).ConfigureAwait(false);
    }

    /// <summary>Creates (<paramref name="routeId"/> null) or replaces a path: the REST and GraphQL writes share this.</summary>
    internal static async Task<IResult> SavePathAsync(PathInput input, TopologyService topology, string? routeId, CancellationToken ct)
    {
        if (ResolveId(input.Id, routeId, out var id) is { } idProblem)
        {
            return idProblem;
        }

        if (string.IsNullOrEmpty(input.LinkId))
        {
            return Problems.Invalid("link_id", "is required");
        }

        ProbeProtocol probe;
        switch (input.Probe?.ToUpperInvariant())
        {
            case null or "STAMP":
                probe = ProbeProtocol.Stamp;
                break;
            case "ICMP":
                probe = ProbeProtocol.Icmp;
                break;
            default:
                return Problems.Invalid("probe", $"'{input.Probe}' is not a probe protocol (stamp or icmp)");
        }

        var thresholds = input.Thresholds is { } t
            ? new Engine.Health.HealthThresholds(
                t.LatencyMs ?? Engine.Health.HealthThresholds.DefaultLatencyMs,
                t.LossPct ?? Engine.Health.HealthThresholds.DefaultLossPct,
                t.JitterMs ?? Engine.Health.HealthThresholds.DefaultJitterMs)
            : null;
        var bfd = (BfdPathSettings?)null;
        if (input.Bfd is { } b)
        {
            if (b.ToSettings(topology.Current.PathsById.GetValueOrDefault(id)?.Bfd, out bfd) is { } bfdProblem)
            {
                return bfdProblem;
            }
        }

        var path = new PathDefinition(id, input.Name ?? id, input.LinkId, input.RemoteSiteId, input.Targets?.ToList() ?? [], ItemSource.Api,
            probe, input.Quorum ?? 1, thresholds, bfd);
        return await SaveAsync(topology, "path", routeId, id, TopologyValidation.Path(topology.Current, path),
            topology.Current.PathsById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertPathAsync(path, c) : s.UpdatePathAsync(path, c),
            t => PathDto.From(t.PathsById[id], t), "paths", ct).ConfigureAwait(false);
    }

    /// <summary>POST takes the id from the body (required); PUT from the URL, and a body id must agree.</summary>
    private static IResult? ResolveId(string? bodyId, string? routeId, out string id)
    {
        id = routeId ?? bodyId ?? string.Empty;
        if (routeId is null && string.IsNullOrEmpty(bodyId))
        {
            return Problems.Invalid("id", "is required");
        }

        if (routeId is not null && bodyId is not null && bodyId != routeId)
        {
            return Problems.Invalid("id", $"'{bodyId}' does not match the id in the URL ('{routeId}')");
        }

        return null;
    }

    private static async Task<IResult> SaveAsync(
        TopologyService topology, string kind, string? routeId, string id, Dictionary<string, string[]> errors, ItemSource? existing,
        Func<ITopologyStore, CancellationToken, Task<Engine.Storage.StoreResult>> write,
        Func<TopologySnapshot, object> view, string collection, CancellationToken ct)
    {
        if (!topology.IsReady)
        {
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not ready", "the store is not initialised yet; see /health/ready");
        }

        // Checked before field validation: a read-only item is a 409 whatever the body says.
        if (routeId is not null && existing is { } source && source != ItemSource.Api)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "Read-only",
                $"{kind} '{id}' is defined by the {SiteDto.SourceText(source)} and is read-only; change it there");
        }

        if (routeId is null && existing is not null)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "Already exists", $"a {kind} with id '{id}' already exists");
        }

        if (routeId is not null && existing is null && TopologyRules.CheckId(id) is null)
        {
            return Problems.NotFound(kind, id);
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var result = await topology.WriteAsync(write, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Problems.From(result, "id");
        }

        var body = view(topology.Current);
        return routeId is null ? Results.Created($"/api/v1/{collection}/{id}", body) : Results.Ok(body);
    }

    internal static async Task<IResult> DeleteAsync(TopologyService topology,
        Func<ITopologyStore, CancellationToken, Task<Engine.Storage.StoreResult>> delete, CancellationToken ct)
    {
        if (!topology.IsReady)
        {
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not ready", "the store is not initialised yet; see /health/ready");
        }

        var result = await topology.WriteAsync(delete, ct).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : Problems.From(result, "id");
    }
}
