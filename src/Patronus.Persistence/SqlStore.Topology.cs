using System.Data;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>Sites, links and paths (<see cref="ITopologyStore"/>).</summary>
public abstract partial class SqlStore
{
    private const string Api = "api";

    public async Task<TopologySnapshot> LoadTopologyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var sites = await connection.QueryAsync<SiteRow>(new CommandDefinition(
            "SELECT site_id, name, description, source FROM sdwan_sites ORDER BY site_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var links = await connection.QueryAsync<LinkRow>(new CommandDefinition(
            "SELECT link_id, site_id, name, interface, source_address, gateway, cost, source FROM sdwan_links ORDER BY link_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var paths = await connection.QueryAsync<PathRow>(new CommandDefinition(
            "SELECT path_id, name, link_id, remote_site_id, targets, source, probe, quorum, latency_threshold_ms, loss_threshold_pct, jitter_threshold_ms, bfd FROM sdwan_paths ORDER BY path_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new TopologySnapshot(
            sites.Select(r => r.ToSite()).ToList(),
            links.Select(r => r.ToLink()).ToList(),
            paths.Select(r => r.ToPath()).ToList());
    }

    public async Task<StoreResult> SyncReadOnlyTopologyAsync(TopologySnapshot configured, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configured);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        var now = NowMs;
        try
        {
            foreach (var site in configured.Sites)
            {
                if (await connection.ExecuteAsync(new CommandDefinition(SiteUpsert, SiteArgs(site, now), tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
                {
                    return new(StoreStatus.Conflict, $"site id '{site.Id}' from the configuration is already used by a site created through the API");
                }
            }

            foreach (var link in configured.Links)
            {
                if (await connection.ExecuteAsync(new CommandDefinition(LinkUpsert, LinkArgs(link, now), tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
                {
                    return new(StoreStatus.Conflict, $"link id '{link.Id}' from the configuration is already used by a link created through the API");
                }
            }

            foreach (var path in configured.Paths)
            {
                if (await connection.ExecuteAsync(new CommandDefinition(PathUpsert, PathArgs(path, now), tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
                {
                    return new(StoreStatus.Conflict, $"path id '{path.Id}' from the configuration is already used by a path created through the API");
                }
            }

            // Remove read-only items no longer configured, children first so references resolve.
            foreach (var (table, key, kept, kind) in new[]
            {
                ("sdwan_paths", "path_id", configured.PathsById.Keys.ToHashSet(), "path"),
                ("sdwan_links", "link_id", configured.LinksById.Keys.ToHashSet(), "link"),
                ("sdwan_sites", "site_id", configured.SitesById.Keys.ToHashSet(), "site"),
            })
            {
                var stored = await connection.QueryAsync<string>(new CommandDefinition(
                    $"SELECT {key} FROM {table} WHERE source <> 'api'", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                foreach (var id in stored.Where(id => !kept.Contains(id)))
                {
                    try
                    {
                        await connection.ExecuteAsync(new CommandDefinition(
                            $"DELETE FROM {table} WHERE {key} = @Id", new { Id = id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    }
                    catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
                    {
                        return new(StoreStatus.InUse, $"{kind} '{id}' was removed from the configuration but is still used by an item created through the API");
                    }
                }
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, "a configured item refers to an item the store does not have");
        }
    }

    public Task<StoreResult> InsertSiteAsync(Site site, CancellationToken cancellationToken = default) =>
        InsertAsync("site", site.Id, site, """
            INSERT INTO sdwan_sites (site_id, name, description, source, created_at, updated_at)
            VALUES (@Id, @Name, @Description, 'api', @Now, @Now)
            """, SiteArgs(site, NowMs), cancellationToken);

    public Task<StoreResult> UpdateSiteAsync(Site site, CancellationToken cancellationToken = default) =>
        UpdateAsync("site", "sdwan_sites", "site_id", site.Id, site, """
            UPDATE sdwan_sites SET name = @Name, description = @Description, updated_at = @Now
            WHERE site_id = @Id AND source = 'api'
            """, SiteArgs(site, NowMs), cancellationToken);

    public Task<StoreResult> DeleteSiteAsync(string siteId, CancellationToken cancellationToken = default) =>
        DeleteAsync("site", "sdwan_sites", "site_id", siteId, "it still has links or is the remote site of a path", cancellationToken);

    public Task<StoreResult> InsertLinkAsync(WanLink link, CancellationToken cancellationToken = default) =>
        InsertAsync("link", link.Id, link, """
            INSERT INTO sdwan_links (link_id, site_id, name, interface, source_address, gateway, cost, source, created_at, updated_at)
            VALUES (@Id, @SiteId, @Name, @Interface, @SourceAddress, @Gateway, @Cost, 'api', @Now, @Now)
            """, LinkArgs(link, NowMs), cancellationToken);

    public Task<StoreResult> UpdateLinkAsync(WanLink link, CancellationToken cancellationToken = default) =>
        UpdateAsync("link", "sdwan_links", "link_id", link.Id, link, """
            UPDATE sdwan_links SET site_id = @SiteId, name = @Name, interface = @Interface, source_address = @SourceAddress,
                gateway = @Gateway, cost = @Cost, updated_at = @Now
            WHERE link_id = @Id AND source = 'api'
            """, LinkArgs(link, NowMs), cancellationToken);

    public Task<StoreResult> DeleteLinkAsync(string linkId, CancellationToken cancellationToken = default) =>
        DeleteAsync("link", "sdwan_links", "link_id", linkId, "paths still use it", cancellationToken);

    public Task<StoreResult> InsertPathAsync(PathDefinition path, CancellationToken cancellationToken = default) =>
        InsertAsync("path", path.Id, path, """
            INSERT INTO sdwan_paths (path_id, name, link_id, remote_site_id, targets, source, probe, quorum,
                latency_threshold_ms, loss_threshold_pct, jitter_threshold_ms, bfd, created_at, updated_at)
            VALUES (@Id, @Name, @LinkId, @RemoteSiteId, @Targets, 'api', @Probe, @Quorum, @LatencyMs, @LossPct, @JitterMs, @Bfd, @Now, @Now)
            """, PathArgs(path, NowMs), cancellationToken);

    public Task<StoreResult> UpdatePathAsync(PathDefinition path, CancellationToken cancellationToken = default) =>
        UpdateAsync("path", "sdwan_paths", "path_id", path.Id, path, """
            UPDATE sdwan_paths SET name = @Name, link_id = @LinkId, remote_site_id = @RemoteSiteId, targets = @Targets,
                probe = @Probe, quorum = @Quorum, latency_threshold_ms = @LatencyMs, loss_threshold_pct = @LossPct,
                jitter_threshold_ms = @JitterMs, bfd = @Bfd, updated_at = @Now
            WHERE path_id = @Id AND source = 'api'
            """, PathArgs(path, NowMs), cancellationToken);

    public Task<StoreResult> DeletePathAsync(string pathId, CancellationToken cancellationToken = default) =>
        DeleteAsync("path", "sdwan_paths", "path_id", pathId, "a failover policy still uses it", cancellationToken);

    // Each write is one transaction that also keeps a keyed REST write's answer (CommitWithAnswerAsync),
    // given the item as written.
    private async Task<StoreResult> InsertAsync(string kind, string id, object written, string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await CommitWithAnswerAsync(connection, tx, written, cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.Unique)
        {
            return new(StoreStatus.Conflict, $"a {kind} with id '{id}' already exists");
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, $"the {kind} refers to an item that does not exist");
        }
    }

    private async Task<StoreResult> UpdateAsync(string kind, string table, string key, string id, object written, string sql, object args,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return await MissOrReadOnlyAsync(connection, kind, table, key, id, cancellationToken).ConfigureAwait(false);
            }

            await CommitWithAnswerAsync(connection, tx, written, cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, $"the {kind} refers to an item that does not exist");
        }
    }

    private async Task<StoreResult> DeleteAsync(string kind, string table, string key, string id, string inUse, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE {key} = @Id AND source = 'api'", new { Id = id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return await MissOrReadOnlyAsync(connection, kind, table, key, id, cancellationToken).ConfigureAwait(false);
            }

            await CommitWithAnswerAsync(connection, tx, null, cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.InUse, $"{kind} '{id}' cannot be deleted: {inUse}");
        }
    }

    private static async Task<StoreResult> MissOrReadOnlyAsync(DbConnection connection, string kind, string table, string key, string id, CancellationToken cancellationToken)
    {
        var source = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            $"SELECT source FROM {table} WHERE {key} = @Id", new { Id = id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return source is null
            ? new(StoreStatus.NotFound, $"{kind} '{id}' does not exist")
            : new(StoreStatus.ReadOnly, $"{kind} '{id}' is defined by the {source} and is read-only; change it there");
    }

    private const string SiteUpsert = """
        INSERT INTO sdwan_sites (site_id, name, description, source, created_at, updated_at)
        VALUES (@Id, @Name, @Description, @Source, @Now, @Now)
        ON CONFLICT (site_id) DO UPDATE SET name = excluded.name, description = excluded.description,
            source = excluded.source, updated_at = excluded.updated_at
        WHERE sdwan_sites.source <> 'api'
        """;

    private const string LinkUpsert = """
        INSERT INTO sdwan_links (link_id, site_id, name, interface, source_address, gateway, cost, source, created_at, updated_at)
        VALUES (@Id, @SiteId, @Name, @Interface, @SourceAddress, @Gateway, @Cost, @Source, @Now, @Now)
        ON CONFLICT (link_id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name, interface = excluded.interface,
            source_address = excluded.source_address, gateway = excluded.gateway, cost = excluded.cost,
            source = excluded.source, updated_at = excluded.updated_at
        WHERE sdwan_links.source <> 'api'
        """;

    private const string PathUpsert = """
        INSERT INTO sdwan_paths (path_id, name, link_id, remote_site_id, targets, source, probe, quorum,
            latency_threshold_ms, loss_threshold_pct, jitter_threshold_ms, bfd, created_at, updated_at)
        VALUES (@Id, @Name, @LinkId, @RemoteSiteId, @Targets, @Source, @Probe, @Quorum, @LatencyMs, @LossPct, @JitterMs, @Bfd, @Now, @Now)
        ON CONFLICT (path_id) DO UPDATE SET name = excluded.name, link_id = excluded.link_id,
            remote_site_id = excluded.remote_site_id, targets = excluded.targets, probe = excluded.probe,
            quorum = excluded.quorum, latency_threshold_ms = excluded.latency_threshold_ms,
            loss_threshold_pct = excluded.loss_threshold_pct, jitter_threshold_ms = excluded.jitter_threshold_ms,
            bfd = excluded.bfd, source = excluded.source, updated_at = excluded.updated_at
        WHERE sdwan_paths.source <> 'api'
        """;

    private static object SiteArgs(Site s, long now) =>
        new { s.Id, s.Name, s.Description, Source = SourceText(s.Source), Now = now };

    private static object LinkArgs(WanLink l, long now) =>
        new { l.Id, l.SiteId, l.Name, l.Interface, l.SourceAddress, l.Gateway, l.Cost, Source = SourceText(l.Source), Now = now };

    private static object PathArgs(PathDefinition p, long now) =>
        new
        {
            p.Id,
            p.Name,
            p.LinkId,
            p.RemoteSiteId,
            Targets = JsonSerializer.Serialize(p.Targets),
            Source = SourceText(p.Source),
            Probe = p.Probe == ProbeProtocol.Icmp ? "icmp" : "stamp",
            p.Quorum,
            LatencyMs = p.Thresholds?.LatencyMs,
            LossPct = p.Thresholds?.LossPct,
            JitterMs = p.Thresholds?.JitterMs,
            Bfd = BfdSettingsJson.Write(p.Bfd),
            Now = now,
        };

    internal static string SourceText(ItemSource source) => source switch
    {
        ItemSource.Config => "config",
        ItemSource.Quickstart => "quickstart",
        _ => Api,
    };

    private static ItemSource ParseSource(string text) => text switch
    {
        "config" => ItemSource.Config,
        "quickstart" => ItemSource.Quickstart,
        _ => ItemSource.Api,
    };

    // Row types: Dapper maps snake_case columns onto these by name (MatchNamesWithUnderscores).
#pragma warning disable CA1812, IDE1006 // instantiated by Dapper
    private sealed class SiteRow
    {
        public string Site_Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Description { get; set; }
        public string Source { get; set; } = "";

        public Site ToSite() => new(Site_Id, Name, Description, ParseSource(Source));
    }

    private sealed class LinkRow
    {
        public string Link_Id { get; set; } = "";
        public string Site_Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Interface { get; set; }
        public string? Source_Address { get; set; }
        public string? Gateway { get; set; }
        public long Cost { get; set; }
        public string Source { get; set; } = "";

        public WanLink ToLink() => new(Link_Id, Site_Id, Name, Interface, Source_Address, Gateway, (int)Cost, ParseSource(Source));
    }

    private sealed class PathRow
    {
        public string Path_Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Link_Id { get; set; } = "";
        public string? Remote_Site_Id { get; set; }
        public string Targets { get; set; } = "[]";
        public string Source { get; set; } = "";
        public string Probe { get; set; } = "stamp";
        public long Quorum { get; set; } = 1;
        public double? Latency_Threshold_Ms { get; set; }
        public double? Loss_Threshold_Pct { get; set; }
        public double? Jitter_Threshold_Ms { get; set; }
        public string? Bfd { get; set; }

        public PathDefinition ToPath() => new(Path_Id, Name, Link_Id, Remote_Site_Id,
            JsonSerializer.Deserialize<List<string>>(Targets) ?? [], ParseSource(Source),
            Probe == "icmp" ? ProbeProtocol.Icmp : ProbeProtocol.Stamp, (int)Quorum,
            Latency_Threshold_Ms is null && Loss_Threshold_Pct is null && Jitter_Threshold_Ms is null
                ? null
                : new HealthThresholds(
                    Latency_Threshold_Ms ?? HealthThresholds.DefaultLatencyMs,
                    Loss_Threshold_Pct ?? HealthThresholds.DefaultLossPct,
                    Jitter_Threshold_Ms ?? HealthThresholds.DefaultJitterMs),
            BfdSettingsJson.Read(Bfd));
    }
#pragma warning restore CA1812, IDE1006
}
