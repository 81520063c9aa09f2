using System.Text.Json.Nodes;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Storage;
using Patronus.Server.Api;

namespace Patronus.Server.Commands;

/// <summary>
/// Writes to sites, links and paths: the one implementation behind REST (<c>/api/v1/sites…</c>) and
/// GraphQL (<c>createSite…</c>), so both refuse the same things with the same words. Every write is
/// validated against the whole topology with the config file's rules before it reaches the store;
/// items from the config file or the quickstart are read-only. An update is a merge patch
/// (<see cref="CommandInput"/>): what it does not name keeps its value.
/// </summary>
public sealed class TopologyCommands(TopologyService topology, FailoverPolicyService policies)
{
    public TopologySnapshot Current => topology.Current;

    public Task<CommandResult<Site>> CreateSiteAsync(JsonObject body, CancellationToken ct) => SaveSiteAsync(body, null, ct);

    public Task<CommandResult<Site>> UpdateSiteAsync(string id, JsonObject patch, CancellationToken ct) =>
        SaveSiteAsync(Patch(topology.Current.SitesById.GetValueOrDefault(id), SiteInput.From, patch), id, ct);

    public Task<CommandResult<WanLink>> CreateLinkAsync(JsonObject body, CancellationToken ct) => SaveLinkAsync(body, null, ct);

    public Task<CommandResult<WanLink>> UpdateLinkAsync(string id, JsonObject patch, CancellationToken ct) =>
        SaveLinkAsync(Patch(topology.Current.LinksById.GetValueOrDefault(id), LinkInput.From, patch), id, ct);

    public Task<CommandResult<PathDefinition>> CreatePathAsync(JsonObject body, CancellationToken ct) => SavePathAsync(body, null, ct);

    public Task<CommandResult<PathDefinition>> UpdatePathAsync(string id, JsonObject patch, CancellationToken ct) =>
        SavePathAsync(Patch(topology.Current.PathsById.GetValueOrDefault(id), PathInput.From, patch), id, ct);

    public Task<CommandError?> DeleteSiteAsync(string id, CancellationToken ct) => DeleteAsync((s, c) => s.DeleteSiteAsync(id, c), ct);

    public Task<CommandError?> DeleteLinkAsync(string id, CancellationToken ct) => DeleteAsync((s, c) => s.DeleteLinkAsync(id, c), ct);

    /// <summary>Deletes a path no failover policy uses (409 naming the policy otherwise).</summary>
    public Task<CommandError?> DeletePathAsync(string id, CancellationToken ct) =>
        policies.Current.FirstOrDefault(p => p.AllPaths.Contains(id, StringComparer.Ordinal)) is { } user
            ? Task.FromResult<CommandError?>(CommandError.Conflict("In use", $"path '{id}' is used by failover policy {user.Id} ('{user.Name}')"))
            : DeleteAsync((s, c) => s.DeletePathAsync(id, c), ct);

    /// <summary>The update's input: the patch over the item as it stands, or the patch alone when there is no such item (the save then says why).</summary>
    private static JsonObject Patch<TItem, TInput>(TItem? existing, Func<TItem, TInput> input, JsonObject patch)
        where TItem : class
        where TInput : class =>
        existing is null ? patch : CommandInput.MergePatch(CommandInput.Write(input(existing)), patch);

    private async Task<CommandResult<Site>> SaveSiteAsync(JsonObject json, string? routeId, CancellationToken ct)
    {
        var read = CommandInput.Read<SiteInput>(json);
        if (read.Value is not { } input)
        {
            return read.Error!;
        }

        if (ResolveId(input.Id, routeId, out var id) is { } idError)
        {
            return idError;
        }

        var site = new Site(id, input.Name ?? id, input.Description, ItemSource.Api);
        var error = await SaveAsync("site", routeId, id, TopologyValidation.Site(topology.Current, site),
            topology.Current.SitesById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertSiteAsync(site, c) : s.UpdateSiteAsync(site, c), ct).ConfigureAwait(false);
        return error ?? (CommandResult<Site>)topology.Current.SitesById[id];
    }

    private async Task<CommandResult<WanLink>> SaveLinkAsync(JsonObject json, string? routeId, CancellationToken ct)
    {
        var read = CommandInput.Read<LinkInput>(json);
        if (read.Value is not { } input)
        {
            return read.Error!;
        }

        if (ResolveId(input.Id, routeId, out var id) is { } idError)
        {
            return idError;
        }

        if (string.IsNullOrEmpty(input.SiteId))
        {
            return CommandError.Invalid("site_id", "is required");
        }

        var link = new WanLink(id, input.SiteId, input.Name ?? id, input.Interface, input.SourceAddress, input.Gateway,
            input.Cost ?? WanLink.DefaultCost, ItemSource.Api);
        var error = await SaveAsync("link", routeId, id, TopologyValidation.Link(topology.Current, link),
            topology.Current.LinksById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertLinkAsync(link, c) : s.UpdateLinkAsync(link, c), ct).ConfigureAwait(false);
        return error ?? (CommandResult<WanLink>)topology.Current.LinksById[id];
    }

    private async Task<CommandResult<PathDefinition>> SavePathAsync(JsonObject json, string? routeId, CancellationToken ct)
    {
        var read = CommandInput.Read<PathInput>(json);
        if (read.Value is not { } input)
        {
            return read.Error!;
        }

        if (ResolveId(input.Id, routeId, out var id) is { } idError)
        {
            return idError;
        }

        if (string.IsNullOrEmpty(input.LinkId))
        {
            return CommandError.Invalid("link_id", "is required");
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
                return CommandError.Invalid("probe", $"'{input.Probe}' is not a probe protocol (stamp or icmp)");
        }

        var bfd = (BfdPathSettings?)null;
        if (input.Bfd is { } b && b.ToSettings(topology.Current.PathsById.GetValueOrDefault(id)?.Bfd, out bfd) is { } bfdError)
        {
            return bfdError;
        }

        var path = new PathDefinition(id, input.Name ?? id, input.LinkId, input.RemoteSiteId, input.Targets?.ToList() ?? [], ItemSource.Api,
            probe, input.Quorum ?? 1, input.Thresholds?.ToThresholds(), bfd);
        var error = await SaveAsync("path", routeId, id, TopologyValidation.Path(topology.Current, path),
            topology.Current.PathsById.GetValueOrDefault(id)?.Source,
            (s, c) => routeId is null ? s.InsertPathAsync(path, c) : s.UpdatePathAsync(path, c), ct).ConfigureAwait(false);
        return error ?? (CommandResult<PathDefinition>)topology.Current.PathsById[id];
    }

    /// <summary>Create takes the id from the input (required); update from the address, and an input id must agree.</summary>
    private static CommandError? ResolveId(string? inputId, string? routeId, out string id)
    {
        id = routeId ?? inputId ?? string.Empty;
        if (routeId is null && string.IsNullOrEmpty(inputId))
        {
            return CommandError.Invalid("id", "is required");
        }

        if (routeId is not null && inputId is not null && inputId != routeId)
        {
            return CommandError.Invalid("id", $"'{inputId}' does not match the id in the URL ('{routeId}')");
        }

        return null;
    }

    private async Task<CommandError?> SaveAsync(string kind, string? routeId, string id, Dictionary<string, string[]> errors, ItemSource? existing,
        Func<ITopologyStore, CancellationToken, Task<StoreResult>> write, CancellationToken ct)
    {
        if (!topology.IsReady)
        {
            return CommandError.NotReady;
        }

        // Checked before field validation: a read-only item is a conflict whatever the input says.
        if (routeId is not null && existing is { } source && source != ItemSource.Api)
        {
            return CommandError.Conflict("Read-only", $"{kind} '{id}' is defined by the {SiteDto.SourceText(source)} and is read-only; change it there");
        }

        if (routeId is null && existing is not null)
        {
            return CommandError.Conflict("Already exists", $"a {kind} with id '{id}' already exists");
        }

        if (routeId is not null && existing is null && TopologyRules.CheckId(id) is null)
        {
            return CommandError.NotFound(kind, id);
        }

        if (errors.Count > 0)
        {
            return CommandError.Invalid(errors);
        }

        var result = await topology.WriteAsync(write, ct).ConfigureAwait(false);
        return result.Succeeded ? null : CommandError.From(result, "id");
    }

    private async Task<CommandError?> DeleteAsync(Func<ITopologyStore, CancellationToken, Task<StoreResult>> delete, CancellationToken ct)
    {
        if (!topology.IsReady)
        {
            return CommandError.NotReady;
        }

        var result = await topology.WriteAsync(delete, ct).ConfigureAwait(false);
        return result.Succeeded ? null : CommandError.From(result, "id");
    }
}
