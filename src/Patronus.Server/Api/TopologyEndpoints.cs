using Patronus.Engine.Paths;
using Patronus.Server.Commands;

namespace Patronus.Server.Api;

/// <summary>
/// CRUD for sites, links and paths under <c>/api/v1</c>: the REST adapter over
/// <see cref="TopologyCommands"/>. Items from config or the quickstart are listed with
/// <c>read_only: true</c>; changing them answers 409 naming where they are defined. PUT changes the
/// fields the body names and keeps the rest (null clears an optional field).
/// </summary>
internal static class TopologyEndpoints
{
    public static RouteGroupBuilder MapTopology(this RouteGroupBuilder api)
    {
        var sites = api.MapGroup("/sites").WithTags("sites");
        sites.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Sites.Select(SiteDto.From)));
        sites.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.SitesById.TryGetValue(id, out var s) ? Results.Ok(SiteDto.From(s)) : Problems.NotFound("site", id));
        sites.MapPost("/", (HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.CreateSiteAsync(b, ct), SiteDto.From, s => $"sites/{s.Id}", ct));
        sites.MapPut("/{id}", (string id, HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.UpdateSiteAsync(id, b, ct), SiteDto.From, null, ct));
        sites.MapDelete("/{id}", (string id, TopologyCommands c, CancellationToken ct) =>
            Writes.DeleteAsync(() => c.DeleteSiteAsync(id, ct)));

        var links = api.MapGroup("/links").WithTags("links");
        links.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Links.Select(LinkDto.From)));
        links.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.LinksById.TryGetValue(id, out var l) ? Results.Ok(LinkDto.From(l)) : Problems.NotFound("link", id));
        links.MapPost("/", (HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.CreateLinkAsync(b, ct), LinkDto.From, l => $"links/{l.Id}", ct));
        links.MapPut("/{id}", (string id, HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.UpdateLinkAsync(id, b, ct), LinkDto.From, null, ct));
        links.MapDelete("/{id}", (string id, TopologyCommands c, CancellationToken ct) =>
            Writes.DeleteAsync(() => c.DeleteLinkAsync(id, ct)));

        var paths = api.MapGroup("/paths").WithTags("paths");
        paths.MapGet("/", (TopologyService t) => Results.Ok(t.Current.Paths.Select(p => PathDto.From(p, t.Current))));
        paths.MapGet("/{id}", (string id, TopologyService t) =>
            t.Current.PathsById.TryGetValue(id, out var p) ? Results.Ok(PathDto.From(p, t.Current)) : Problems.NotFound("path", id));
        paths.MapPost("/", (HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.CreatePathAsync(b, ct), p => PathDto.From(p, c.Current), p => $"paths/{p.Id}", ct));
        paths.MapPut("/{id}", (string id, HttpRequest r, TopologyCommands c, CancellationToken ct) =>
            Writes.RunAsync(r, b => c.UpdatePathAsync(id, b, ct), p => PathDto.From(p, c.Current), null, ct));
        paths.MapDelete("/{id}", (string id, TopologyCommands c, CancellationToken ct) =>
            Writes.DeleteAsync(() => c.DeletePathAsync(id, ct)));
        return api;
    }
}
