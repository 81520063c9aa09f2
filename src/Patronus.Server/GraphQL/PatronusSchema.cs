using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;
using Patronus.Engine.Traffic;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Export;

namespace Patronus.Server.GraphQL;

/// <summary>
/// The Patronus schema at <c>/graphql</c>: seed 000's types and operations under their exact names
/// (PathHealth, PathStatus, pathHealth, allPathsHealth, pathHealthHistory; FailoverPolicy,
/// FailoverEvent and the policy mutations; MetricsExport and exportMetrics), plus sites, links,
/// paths (CRUD), BFD sessions, path statistics, and the subscriptions pathHealthChanged and
/// failoverEvents, pushed as they happen.
/// <para>
/// Writes go through the same code as the REST API (validation, read-only items, store), so both
/// refuse the same things with the same words. Every field needs an authenticated caller (the
/// endpoint refuses anonymous requests); reads need viewer, writes operator, user administration
/// admin — checked per root field, before the resolver runs.
/// </para>
/// <para>
/// Deviations from the seed, on purpose: <c>lastChecked</c> is nullable (a path not yet probed has
/// no check time, and an empty string would be a made-up value); traffic counts are Float (the
/// seed's Int is 32-bit and a byte counter passes 2^31 within seconds) and nullable (null when the
/// kernel's accounting does not run); FailoverEvent.eventId is null for an event pushed by the
/// subscription before it is stored.
/// </para>
/// </summary>
public static class PatronusSchema
{
    public static Schema Build() => new SchemaBuilder()
        .Description("Patronus SD-WAN controller")
        .Scalar(Scalars.DateTime)
        .Enum("PathStatus", e => e
            .Description("A path's status from its health score: UP ≥ 80, DEGRADED ≥ 50, DOWN below (or BFD down).")
            .Value("UP", PathStatus.Up)
            .Value("DEGRADED", PathStatus.Degraded)
            .Value("DOWN", PathStatus.Down))
        .Enum("ExportFormat", e => e.Value("JSON").Value("PROMETHEUS"))
        .Enum("StatsPeriod", e => e
            .Description("A period ending now (MONTH = 30 days), or CUSTOM with since and until.")
            .Value("HOUR", "hour").Value("DAY", "day").Value("WEEK", "week").Value("MONTH", "month").Value("CUSTOM", "custom"))
        .Object("PathHealth", o => o
            .Description("Current (or, in history, sampled) health of one path.")
            .ClrType<PathHealthView>()
            .Field("pathId", "ID!")
            .Field("latencyMs", "Float!", f => f.Description("Mean RTT over the measurement window."))
            .Field("packetLossPct", "Float!")
            .Field("jitterMs", "Float!")
            .Field("healthScore", "Float!")
            .Field("status", "PathStatus!")
            .Field("lastChecked", "String", f => f.Description("ISO-8601 UTC; null before the first probe completed.")))
        .Object("FailoverPolicy", o => o
            .ClrType<FailoverPolicyView>()
            .Field("policyId", "ID!")
            .Field("name", "String!")
            .Field("primaryPathId", "ID!")
            .Field("backupPathIds", "[ID!]!")
            .Field("failoverThreshold", "Float!")
            .Field("failbackThreshold", "Float!")
            .Field("failbackDelaySecs", "Int!")
            .Field("enabled", "Boolean!")
            .Field("prefixes", "[String!]!", f => f.Description("Destination prefixes the policy steers."))
            .Field("activePathId", "ID!", f => f.Description("The path the policy routes over now."))
            .Field("readOnly", "Boolean!", f => f.Description("Defined in the configuration file: change it there.")))
        .Object("FailoverEvent", o => o
            .ClrType<FailoverEventView>()
            .Field("eventId", "ID", f => f.Description("Null for an event pushed by the subscription before it is stored."))
            .Field("policyId", "ID!")
            .Field("eventType", "String!", f => f.Description("triggered, failback, failed, dampened, enabled, disabled or route_failed."))
            .Field("fromPathId", "ID")
            .Field("toPathId", "ID")
            .Field("reason", "String")
            .Field("timestamp", "String!"))
        .Object("PathTraffic", o => o
            .Description("Traffic leaving through the path's link, counted by the kernel; null when accounting does not run (see docs/traffic.md).")
            .Field("bytesTotal", "Float")
            .Field("packetsTotal", "Float")
            .Field("activeFlows", "Int"))
        .Object("PathMetricsExport", o => o
            .Field("pathId", "ID!")
            .Field("health", "PathHealth!")
            .Field("traffic", "PathTraffic!"))
        .Object("PolicyMetricsExport", o => o
            .Field("policyId", "ID!")
            .Field("name", "String!")
            .Field("bytesMatched", "Float")
            .Field("packetsMatched", "Float")
            .Field("activeFlows", "Int"))
        .Object("MetricsExport", o => o
            .Field("paths", "[PathMetricsExport!]!")
            .Field("policies", "[PolicyMetricsExport!]!")
            .Field("failovers", "[FailoverEvent!]!")
            .Field("exportedAt", "String!")
            .Field("prometheus", "String", f => f.Description("The Prometheus text exposition, for format PROMETHEUS.")))
        .Object("Site", o => o
            .ClrType<SiteDto>()
            .Field("id", "ID!").Field("name", "String!").Field("description", "String").Field("source", "String!").Field("readOnly", "Boolean!"))
        .Object("Link", o => o
            .ClrType<LinkDto>()
            .Field("id", "ID!").Field("siteId", "ID!").Field("name", "String!").Field("interface", "String").Field("sourceAddress", "String")
            .Field("gateway", "String").Field("cost", "Int!").Field("source", "String!").Field("readOnly", "Boolean!"))
        .Object("Thresholds", o => o.ClrType<ThresholdsDto>().Field("latencyMs", "Float!").Field("lossPct", "Float!").Field("jitterMs", "Float!"))
        .Object("PathBfd", o => o
            .ClrType<BfdDto>()
            .Field("peer", "String!").Field("multihop", "Boolean!").Field("desiredMinTxMs", "Int!").Field("requiredMinRxMs", "Int!")
            .Field("detectMultiplier", "Int!").Field("passive", "Boolean!").Field("minTtl", "Int!").Field("adminDown", "Boolean!"))
        .Object("Path", o => o
            .ClrType<PathDto>()
            .Field("id", "ID!").Field("name", "String!").Field("siteId", "ID").Field("linkId", "ID!").Field("remoteSiteId", "ID")
            .Field("targets", "[String!]!").Field("probe", "String!").Field("quorum", "Int!").Field("thresholds", "Thresholds!")
            .Field("bfd", "PathBfd").Field("source", "String!").Field("readOnly", "Boolean!")
            .Field("health", "PathHealth", f => f.Resolve(ctx => Health(ctx, ctx.Parent<PathDto>().Id))))
        .Object("BfdSession", o => o
            .Field("pathId", "ID!").Field("state", "String!").Field("remoteState", "String").Field("localDiagnostic", "String")
            .Field("localDiscriminator", "Float").Field("remoteDiscriminator", "Float").Field("transmitIntervalMs", "Float")
            .Field("detectionTimeMs", "Float").Field("adminDown", "Boolean!").Field("lastChange", "String").Field("error", "String"))
        .Object("PathStats", o => o
            .Description("Aggregates over stored history and rollups (docs/health.md, Statistics).")
            .Field("pathId", "ID!").Field("periodStart", "String!").Field("periodEnd", "String!").Field("resolution", "String!")
            .Field("sampleCount", "Float!").Field("coveragePct", "Float!").Field("uptimePct", "Float")
            .Field("latencyAvgMs", "Float").Field("latencyMinMs", "Float").Field("latencyMaxMs", "Float").Field("latencyP95Ms", "Float")
            .Field("latencyP95Exact", "Boolean").Field("packetLossAvgPct", "Float").Field("jitterAvgMs", "Float").Field("healthScoreAvg", "Float"))
        .Object("User", o => o
            .Field("username", "String!").Field("role", "String!").Field("disabled", "Boolean!").Field("createdAt", "String!").Field("updatedAt", "String!"))
        .Object("AuditEntry", o => o
            .Field("auditId", "ID!").Field("timestamp", "String!").Field("username", "String").Field("action", "String!").Field("target", "String")
            .Field("clientAddress", "String").Field("result", "String!").Field("statusCode", "Int!").Field("detail", "String"))
        .InputObject("SiteInput", i => i.Field("id", "ID").Field("name", "String").Field("description", "String"))
        .InputObject("LinkInput", i => i
            .Field("id", "ID").Field("siteId", "ID").Field("name", "String").Field("interface", "String")
            .Field("sourceAddress", "String").Field("gateway", "String").Field("cost", "Int"))
        .InputObject("ThresholdsInput", i => i.Field("latencyMs", "Float").Field("lossPct", "Float").Field("jitterMs", "Float"))
        .InputObject("PathInput", i => i
            .Field("id", "ID").Field("name", "String").Field("linkId", "ID").Field("remoteSiteId", "ID").Field("targets", "[String!]")
            .Field("probe", "String", f => f.Description("stamp (default) or icmp.")).Field("quorum", "Int").Field("thresholds", "ThresholdsInput"))
        .Object("Query", o => o
            .Field("pathHealth", "PathHealth", f => f.Argument("pathId", "ID!").ResolveAs(UserRole.Viewer, ctx => Health(ctx, ctx.Argument<string>("pathId"))))
            .Field("allPathsHealth", "[PathHealth!]!", f => f.ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<HealthState>().All.Select(PathHealthView.From).ToList()))
            .Field("pathHealthHistory", "[PathHealth!]!", f => f
                .Description("Raw samples (newest 5,000 at most) between since and until (default now).")
                .Argument("pathId", "ID!").Argument("since", "String!").Argument("until", "String")
                .ResolveAs(UserRole.Viewer, HistoryAsync))
            .Field("failoverPolicy", "FailoverPolicy", f => f.Argument("policyId", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                FindPolicy(ctx, ctx.Argument<string>("policyId")) is { } p ? FailoverPolicyView.From(p, Ctx(ctx).Service<FailoverService>()) : null))
            .Field("allFailoverPolicies", "[FailoverPolicy!]!", f => f.ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<FailoverPolicyService>().Current.Select(p => FailoverPolicyView.From(p, Ctx(ctx).Service<FailoverService>())).ToList()))
            .Field("failoverEvents", "[FailoverEvent!]!", f => f
                .Argument("policyId", "ID").Argument("since", "String!").Argument("limit", "Int", a => a.DefaultLiteral("100"))
                .ListSize("limit")
                .ResolveAs(UserRole.Viewer, EventsAsync))
            .Field("exportMetrics", "MetricsExport!", f => f.Argument("format", "ExportFormat!").Argument("since", "String").ResolveAs(UserRole.Viewer, ExportAsync))
            .Field("sites", "[Site!]!", f => f.ResolveAs(UserRole.Viewer, ctx => Topology(ctx).Sites.Select(SiteDto.From).ToList()))
            .Field("site", "Site", f => f.Argument("id", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                Topology(ctx).SitesById.TryGetValue(ctx.Argument<string>("id"), out var s) ? SiteDto.From(s) : null))
            .Field("links", "[Link!]!", f => f.ResolveAs(UserRole.Viewer, ctx => Topology(ctx).Links.Select(LinkDto.From).ToList()))
            .Field("link", "Link", f => f.Argument("id", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                Topology(ctx).LinksById.TryGetValue(ctx.Argument<string>("id"), out var l) ? LinkDto.From(l) : null))
            .Field("paths", "[Path!]!", f => f.ResolveAs(UserRole.Viewer, ctx => Topology(ctx).Paths.Select(p => PathDto.From(p, Topology(ctx))).ToList()))
            .Field("path", "Path", f => f.Argument("id", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                Topology(ctx).PathsById.TryGetValue(ctx.Argument<string>("id"), out var p) ? PathDto.From(p, Topology(ctx)) : null))
            .Field("bfdSessions", "[BfdSession!]!", f => f.ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<BfdService>().Sessions.Values.OrderBy(s => s.PathId, StringComparer.Ordinal).Select(BfdView).ToList()))
            .Field("bfdSession", "BfdSession", f => f.Argument("pathId", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<BfdService>().Sessions.TryGetValue(ctx.Argument<string>("pathId"), out var s) ? BfdView(s) : null))
            .Field("pathStats", "PathStats", f => f
                .Argument("pathId", "ID!").Argument("period", "StatsPeriod", a => a.DefaultLiteral("DAY"))
                .Argument("since", "DateTime").Argument("until", "DateTime")
                .ResolveAs(UserRole.Viewer, StatsAsync))
            .Field("users", "[User!]!", f => f.Description("Every user (admin).").ResolveAs(UserRole.Admin, async ctx =>
                (await Ctx(ctx).Service<Security.UserAccounts>().ListAsync(ctx.CancellationToken).ConfigureAwait(false))
                    .Select(u => new Dictionary<string, object?>
                    {
                        ["username"] = u.Username,
                        ["role"] = u.Role.ToString().ToLowerInvariant(),
                        ["disabled"] = u.Disabled,
                        ["createdAt"] = PathHealthEndpoints.Iso(u.CreatedAt),
                        ["updatedAt"] = PathHealthEndpoints.Iso(u.UpdatedAt),
                    }).ToList()))
            .Field("auditLog", "[AuditEntry!]!", f => f
                .Description("Changes and sign-ins, newest first (admin).")
                .Argument("since", "String").Argument("limit", "Int", a => a.DefaultLiteral("100")).ListSize("limit")
                .ResolveAs(UserRole.Admin, AuditAsync)))
        .Object("Mutation", o => o
            .Field("createFailoverPolicy", "FailoverPolicy!", f => f
                .Argument("name", "String!").Argument("primaryPathId", "ID!").Argument("backupPathIds", "[ID!]!")
                .Argument("failoverThreshold", "Float").Argument("failbackThreshold", "Float").Argument("failbackDelaySecs", "Int")
                .Argument("enabled", "Boolean").Argument("prefixes", "[String!]")
                .MutateAs(UserRole.Operator, CreatePolicyAsync))
            .Field("updateFailoverPolicy", "FailoverPolicy!", f => f
                .Argument("policyId", "ID!").Argument("enabled", "Boolean").Argument("failoverThreshold", "Float").Argument("failbackThreshold", "Float")
                .Argument("failbackDelaySecs", "Int").Argument("backupPathIds", "[ID!]").Argument("prefixes", "[String!]")
                .MutateAs(UserRole.Operator, UpdatePolicyAsync))
            .Field("deleteFailoverPolicy", "Boolean!", f => f.Argument("policyId", "ID!").MutateAs(UserRole.Operator, DeletePolicyAsync))
            .Field("createSite", "Site!", f => f.Argument("input", "SiteInput!").MutateAs(UserRole.Operator, ctx => SaveSiteAsync(ctx, null)))
            .Field("updateSite", "Site!", f => f.Argument("id", "ID!").Argument("input", "SiteInput!").MutateAs(UserRole.Operator, ctx => SaveSiteAsync(ctx, ctx.Argument<string>("id"))))
            .Field("deleteSite", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, ctx =>
                DeleteAsync(ctx, (s, c) => s.DeleteSiteAsync(ctx.Argument<string>("id"), c))))
            .Field("createLink", "Link!", f => f.Argument("input", "LinkInput!").MutateAs(UserRole.Operator, ctx => SaveLinkAsync(ctx, null)))
            .Field("updateLink", "Link!", f => f.Argument("id", "ID!").Argument("input", "LinkInput!").MutateAs(UserRole.Operator, ctx => SaveLinkAsync(ctx, ctx.Argument<string>("id"))))
            .Field("deleteLink", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, ctx =>
                DeleteAsync(ctx, (s, c) => s.DeleteLinkAsync(ctx.Argument<string>("id"), c))))
            .Field("createPath", "Path!", f => f.Argument("input", "PathInput!").MutateAs(UserRole.Operator, ctx => SavePathAsync(ctx, null)))
            .Field("updatePath", "Path!", f => f.Argument("id", "ID!").Argument("input", "PathInput!").MutateAs(UserRole.Operator, ctx => SavePathAsync(ctx, ctx.Argument<string>("id"))))
            .Field("deletePath", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, DeletePathAsync))
            .Field("setBfdAdminDown", "Boolean!", f => f
                .Description("Holds a path's BFD session AdminDown (true) or releases it (false), at run time.")
                .Argument("pathId", "ID!").Argument("adminDown", "Boolean!")
                .MutateAs(UserRole.Operator, ctx => Task.FromResult<object?>(Ctx(ctx).Service<BfdService>().SetAdminDownOverride(ctx.Argument<string>("pathId"), ctx.Argument<bool>("adminDown"))
                    ? true
                    : throw new GraphQLException($"path '{ctx.Argument<string>("pathId")}' has no running BFD session",
                        new Dictionary<string, object?> { ["code"] = "NOT_FOUND" })))))
        .Object("Subscription", o => o
            .Field("pathHealthChanged", "PathHealth!", f => f
                .Description("Every change of a path's health as the monitor publishes it (all paths, or one).")
                .Argument("pathId", "ID")
                .SubscribeAs(UserRole.Viewer, ctx => HealthChanges(Ctx(ctx).Service<HealthState>(), ctx.Argument<string?>("pathId"), ctx.CancellationToken)))
            .Field("failoverEvents", "FailoverEvent!", f => f
                .Description("Failover events as they are decided (all policies, or one).")
                .Argument("policyId", "ID")
                .SubscribeAs(UserRole.Viewer, ctx => FailoverChanges(Ctx(ctx).Service<FailoverService>(), ctx.Argument<string?>("policyId"), ctx.CancellationToken))))
        .Build();

    private static readonly JsonSerializerOptions s_inputJson = new() { PropertyNameCaseInsensitive = true };

    private static PatronusGraphQLContext Ctx(ResolveContext ctx) => ctx.ContextAs<PatronusGraphQLContext>();

    private static TopologySnapshot Topology(ResolveContext ctx) => Ctx(ctx).Service<TopologyService>().Current;

    private static PathHealthView? Health(ResolveContext ctx, string pathId) =>
        Ctx(ctx).Service<HealthState>().Get(pathId) is { } h ? PathHealthView.From(h) : null;

    private static FailoverPolicy? FindPolicy(ResolveContext ctx, string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Ctx(ctx).Service<FailoverPolicyService>().Current.FirstOrDefault(p => p.Id == n)
            : null;

    private static DateTimeOffset ParseTime(string? text, string argument, DateTimeOffset fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new GraphQLException($"{argument}: '{text}' is not an ISO-8601 time", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
    }

    private static async Task<object?> HistoryAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var id = ctx.Argument<string>("pathId");
        var now = c.Service<TimeProvider>().GetUtcNow();
        var since = ParseTime(ctx.Argument<string>("since"), "since", now);
        var until = ParseTime(ctx.Argument<string?>("until"), "until", now);
        if (!c.Service<TopologyService>().Current.PathsById.ContainsKey(id))
        {
            throw new GraphQLException($"path '{id}' does not exist", new Dictionary<string, object?> { ["code"] = "NOT_FOUND" });
        }

        var samples = await c.Service<IHealthHistoryStore>().GetPathHealthAsync(id, since, until, PathHealthEndpoints.DefaultHistoryLimit, ctx.CancellationToken).ConfigureAwait(false);
        return samples.Select(s => new PathHealthView(s.PathId, s.LatencyMs, s.PacketLossPct, s.JitterMs, s.HealthScore, s.Status, PathHealthEndpoints.Iso(s.Timestamp))).ToList();
    }

    private static async Task<object?> EventsAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var since = ParseTime(ctx.Argument<string>("since"), "since", c.Service<TimeProvider>().GetUtcNow());
        long? policyId = null;
        if (ctx.Argument<string?>("policyId") is { } p)
        {
            policyId = long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new GraphQLException($"policyId: '{p}' is not a policy id", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
        }

        var limit = ctx.Argument("limit", 100);
        if (limit is < 1 or > FailoverEndpoints.MaxEventLimit)
        {
            throw new GraphQLException($"limit: {limit} is out of range (1–{FailoverEndpoints.MaxEventLimit})", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
        }

        var events = await c.Service<IFailoverStore>().GetFailoverEventsAsync(policyId, since, limit, ctx.CancellationToken).ConfigureAwait(false);
        return events.Select(FailoverEventView.From).ToList();
    }

    private static async Task<object?> ExportAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var now = c.Service<TimeProvider>().GetUtcNow();
        var since = ParseTime(ctx.Argument<string?>("since"), "since", now - MetricsEndpoints.DefaultFailoverSpan);
        var topology = c.Service<TopologyService>().Current;
        var traffic = c.Service<ITrafficSource>().Current;
        var failover = c.Service<FailoverService>();
        var events = await c.Service<IFailoverStore>().GetFailoverEventsAsync(null, since, MetricsEndpoints.ExportEventLimit, ctx.CancellationToken).ConfigureAwait(false);
        return new Dictionary<string, object?>
        {
            ["paths"] = c.Service<HealthState>().All.Select(h => new Dictionary<string, object?>
            {
                ["pathId"] = h.PathId,
                ["health"] = PathHealthView.From(h),
                ["traffic"] = traffic.Paths.TryGetValue(h.PathId, out var t)
                    ? new Dictionary<string, object?> { ["bytesTotal"] = (double?)t.Bytes, ["packetsTotal"] = (double?)t.Packets, ["activeFlows"] = (int?)t.ActiveFlows }
                    : new Dictionary<string, object?>(),
            }).ToList(),
            ["policies"] = c.Service<FailoverPolicyService>().Current.Select(p => traffic.Policies.TryGetValue(p.Id, out var t)
                ? new Dictionary<string, object?> { ["policyId"] = p.Id, ["name"] = p.Name, ["bytesMatched"] = (double)t.Bytes, ["packetsMatched"] = (double)t.Packets, ["activeFlows"] = (int?)t.ActiveFlows }
                : new Dictionary<string, object?> { ["policyId"] = p.Id, ["name"] = p.Name }).ToList(),
            ["failovers"] = events.Select(FailoverEventView.From).ToList(),
            ["exportedAt"] = PathHealthEndpoints.Iso(now),
            ["prometheus"] = ctx.Argument<string>("format") == "PROMETHEUS"
                ? c.Service<PrometheusExporter>().Render(m => System.Text.Encoding.UTF8.GetString(m.Span))
                : null,
        };
    }

    private static async Task<object?> StatsAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var id = ctx.Argument<string>("pathId");
        if (!c.Service<TopologyService>().Current.PathsById.ContainsKey(id))
        {
            throw new GraphQLException($"path '{id}' does not exist", new Dictionary<string, object?> { ["code"] = "NOT_FOUND" });
        }

        var period = ctx.Argument<string>("period");
        var reader = new HealthStatsReader(c.Service<IHealthHistoryStore>(), c.Service<IOptions<HealthPersistenceOptions>>().Value,
            c.Service<IOptions<HealthOptions>>().Value.SampleInterval, c.Service<TimeProvider>());
        PathHealthStats stats;
        if (period == "custom")
        {
            var since = ctx.Argument<DateTimeOffset?>("since");
            var until = ctx.Argument<DateTimeOffset?>("until");
            if (since is null || until is null || until <= since)
            {
                throw new GraphQLException("period CUSTOM needs since and until, until after since", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
            }

            stats = await reader.ReadAsync(id, since.Value, until.Value, ctx.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            stats = await reader.ReadAsync(id, PathHealthEndpoints.s_statsPeriods[period], ctx.CancellationToken).ConfigureAwait(false);
        }

        return new Dictionary<string, object?>
        {
            ["pathId"] = id,
            ["periodStart"] = PathHealthEndpoints.Iso(stats.From),
            ["periodEnd"] = PathHealthEndpoints.Iso(stats.Until),
            ["resolution"] = stats.Resolution.ToString().ToLowerInvariant(),
            ["sampleCount"] = (double)stats.SampleCount,
            ["coveragePct"] = Math.Round(stats.CoveragePct, 3),
            ["uptimePct"] = PathHealthEndpoints.Round(stats.UptimePct),
            ["latencyAvgMs"] = PathHealthEndpoints.Round(stats.LatencyAvgMs),
            ["latencyMinMs"] = PathHealthEndpoints.Round(stats.LatencyMinMs),
            ["latencyMaxMs"] = PathHealthEndpoints.Round(stats.LatencyMaxMs),
            ["latencyP95Ms"] = PathHealthEndpoints.Round(stats.LatencyP95Ms),
            ["latencyP95Exact"] = stats.LatencyP95Ms is null ? null : stats.LatencyP95Exact,
            ["packetLossAvgPct"] = PathHealthEndpoints.Round(stats.LossAvgPct),
            ["jitterAvgMs"] = PathHealthEndpoints.Round(stats.JitterAvgMs),
            ["healthScoreAvg"] = PathHealthEndpoints.Round(stats.ScoreAvg),
        };
    }

    private static async Task<object?> AuditAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var since = ParseTime(ctx.Argument<string?>("since"), "since", c.Service<TimeProvider>().GetUtcNow() - TimeSpan.FromDays(1));
        var limit = ctx.Argument("limit", 100);
        if (limit is < 1 or > Security.UserEndpoints.MaxAuditLimit)
        {
            throw new GraphQLException($"limit: {limit} is out of range (1–{Security.UserEndpoints.MaxAuditLimit})", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
        }

        var entries = await c.Service<IAuditStore>().GetAuditAsync(since, limit, ctx.CancellationToken).ConfigureAwait(false);
        return entries.Select(e => new Dictionary<string, object?>
        {
            ["auditId"] = e.AuditId.ToString(CultureInfo.InvariantCulture),
            ["timestamp"] = PathHealthEndpoints.Iso(e.Timestamp),
            ["username"] = e.Username,
            ["action"] = e.Action,
            ["target"] = e.Target,
            ["clientAddress"] = e.ClientAddress,
            ["result"] = e.Result,
            ["statusCode"] = e.StatusCode,
            ["detail"] = e.Detail,
        }).ToList();
    }

    private static object BfdView(BfdSessionView s) => new Dictionary<string, object?>
    {
        ["pathId"] = s.PathId,
        ["state"] = BfdNames.State(s.SessionState),
        ["remoteState"] = s.State is { } st ? BfdNames.State(st.RemoteSessionState) : null,
        ["localDiagnostic"] = s.State is { } d ? BfdNames.Diagnostic(d.LocalDiag) : null,
        ["localDiscriminator"] = s.State is { } a ? (double)a.LocalDiscr : null,
        ["remoteDiscriminator"] = s.State is { } b ? (double)b.RemoteDiscr : null,
        ["transmitIntervalMs"] = s.State is { } x ? x.TransmitInterval / 1000.0 : null,
        ["detectionTimeMs"] = s.State is { } y ? y.DetectionTime / 1000.0 : null,
        ["adminDown"] = s.AdminDownOverride || s.Settings.AdminDown,
        ["lastChange"] = s.LastChange is { } t ? PathHealthEndpoints.Iso(t) : null,
        ["error"] = s.Error,
    };

    private static async Task<object?> CreatePolicyAsync(ResolveContext ctx)
    {
        var input = new FailoverPolicyInput
        {
            Name = ctx.Argument<string>("name"),
            PrimaryPathId = ctx.Argument<string>("primaryPathId"),
            BackupPathIds = ctx.Argument<List<string>>("backupPathIds"),
            FailoverThreshold = ctx.Argument<double?>("failoverThreshold"),
            FailbackThreshold = ctx.Argument<double?>("failbackThreshold"),
            FailbackDelaySecs = ctx.Argument<int?>("failbackDelaySecs"),
            Enabled = ctx.Argument<bool?>("enabled"),
            Prefixes = ctx.Argument<List<string>?>("prefixes"),
        };
        return await SavePolicyAsync(ctx, input, null).ConfigureAwait(false);
    }

    private static async Task<object?> UpdatePolicyAsync(ResolveContext ctx)
    {
        var id = ctx.Argument<string>("policyId");
        var existing = FindPolicy(ctx, id)
            ?? throw new GraphQLException($"failover policy '{id}' does not exist", new Dictionary<string, object?> { ["code"] = "NOT_FOUND" });

        // The seed's update changes only what it names; the rest stays.
        var input = new FailoverPolicyInput
        {
            Name = existing.Name,
            PrimaryPathId = existing.PrimaryPathId,
            BackupPathIds = ctx.HasArgument("backupPathIds") && ctx.Argument<List<string>?>("backupPathIds") is { } b ? b : [.. existing.BackupPathIds],
            FailoverThreshold = ctx.Argument<double?>("failoverThreshold") ?? existing.FailoverThreshold,
            FailbackThreshold = ctx.Argument<double?>("failbackThreshold") ?? existing.FailbackThreshold,
            FailbackDelaySecs = ctx.Argument<int?>("failbackDelaySecs") ?? existing.FailbackDelay.TotalSeconds,
            Enabled = ctx.Argument<bool?>("enabled") ?? existing.Enabled,
            Prefixes = ctx.HasArgument("prefixes") && ctx.Argument<List<string>?>("prefixes") is { } p ? p : [.. existing.Prefixes.Select(x => x.ToString())],
        };
        return await SavePolicyAsync(ctx, input, id).ConfigureAwait(false);
    }

    private static async Task<object?> SavePolicyAsync(ResolveContext ctx, FailoverPolicyInput input, string? routeId)
    {
        var c = Ctx(ctx);
        var policies = c.Service<FailoverPolicyService>();
        var failover = c.Service<FailoverService>();
        var result = await FailoverEndpoints.SaveAsync(input, policies, failover, c.Service<TopologyService>(), routeId, ctx.CancellationToken).ConfigureAwait(false);
        GraphQLResults.ThrowIfProblem(result);
        var saved = routeId is not null
            ? FindPolicy(ctx, routeId)
            : policies.Current.Where(p => p.Name == input.Name).MaxBy(p => p.Id);
        return FailoverPolicyView.From(saved!, failover);
    }

    private static async Task<object?> DeletePolicyAsync(ResolveContext ctx)
    {
        var c = Ctx(ctx);
        var id = ctx.Argument<string>("policyId");
        var policy = FindPolicy(ctx, id)
            ?? throw new GraphQLException($"failover policy '{id}' does not exist", new Dictionary<string, object?> { ["code"] = "NOT_FOUND" });
        if (policy.ReadOnly)
        {
            throw new GraphQLException($"failover policy {policy.Id} ('{policy.Name}') is defined in the configuration file and is read-only; change it there",
                new Dictionary<string, object?> { ["code"] = "CONFLICT" });
        }

        var result = await c.Service<FailoverPolicyService>().WriteAsync((s, t) => s.DeleteFailoverPolicyAsync(policy.Id, t), ctx.CancellationToken).ConfigureAwait(false);
        GraphQLResults.ThrowIfProblem(result.Succeeded ? Results.NoContent() : Problems.From(result, "policyId"));
        return true;
    }

    private static T Input<T>(ResolveContext ctx)
    {
        // GraphQL input (camelCase, coerced) → the REST input class: one set of rules for both APIs.
        var json = JsonSerializer.Serialize(ctx.Argument<IReadOnlyDictionary<string, object?>>("input"));
        return JsonSerializer.Deserialize<T>(json, s_inputJson)!;
    }

    private static async Task<object?> SaveSiteAsync(ResolveContext ctx, string? id)
    {
        var topology = Ctx(ctx).Service<TopologyService>();
        var input = Input<SiteInput>(ctx);
        GraphQLResults.ThrowIfProblem(await TopologyEndpoints.SaveSiteAsync(input, topology, id, ctx.CancellationToken).ConfigureAwait(false));
        return SiteDto.From(topology.Current.SitesById[id ?? input.Id!]);
    }

    private static async Task<object?> SaveLinkAsync(ResolveContext ctx, string? id)
    {
        var topology = Ctx(ctx).Service<TopologyService>();
        var input = Input<LinkInput>(ctx);
        GraphQLResults.ThrowIfProblem(await TopologyEndpoints.SaveLinkAsync(input, topology, id, ctx.CancellationToken).ConfigureAwait(false));
        return LinkDto.From(topology.Current.LinksById[id ?? input.Id!]);
    }

    private static async Task<object?> SavePathAsync(ResolveContext ctx, string? id)
    {
        var topology = Ctx(ctx).Service<TopologyService>();
        var input = Input<PathInput>(ctx);
        GraphQLResults.ThrowIfProblem(await TopologyEndpoints.SavePathAsync(input, topology, id, ctx.CancellationToken).ConfigureAwait(false));
        return PathDto.From(topology.Current.PathsById[id ?? input.Id!], topology.Current);
    }

    private static async Task<object?> DeleteAsync(ResolveContext ctx, Func<ITopologyStore, CancellationToken, Task<StoreResult>> delete)
    {
        GraphQLResults.ThrowIfProblem(await TopologyEndpoints.DeleteAsync(Ctx(ctx).Service<TopologyService>(), delete, ctx.CancellationToken).ConfigureAwait(false));
        return true;
    }

    private static async Task<object?> DeletePathAsync(ResolveContext ctx)
    {
        var id = ctx.Argument<string>("id");
        if (Ctx(ctx).Service<FailoverPolicyService>().Current.FirstOrDefault(p => p.AllPaths.Contains(id, StringComparer.Ordinal)) is { } user)
        {
            throw new GraphQLException($"path '{id}' is used by failover policy {user.Id} ('{user.Name}')", new Dictionary<string, object?> { ["code"] = "CONFLICT" });
        }

        return await DeleteAsync(ctx, (s, c) => s.DeletePathAsync(id, c)).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<PathHealthView> HealthChanges(HealthState health, string? pathId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = health.Subscribe(cancellationToken);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var snapshot))
            {
                if (pathId is null || snapshot.PathId == pathId)
                {
                    yield return PathHealthView.From(snapshot);
                }
            }
        }
    }

    private static async IAsyncEnumerable<FailoverEventView> FailoverChanges(FailoverService failover, string? policyId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = failover.Subscribe(cancellationToken);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                if (policyId is null || e.PolicyId.ToString(CultureInfo.InvariantCulture) == policyId)
                {
                    yield return FailoverEventView.From(new FailoverEventRecord(e, null));
                }
            }
        }
    }
}

/// <summary>PathHealth as GraphQL shows it.</summary>
public sealed record PathHealthView(string PathId, double LatencyMs, double PacketLossPct, double JitterMs, double HealthScore, PathStatus Status, string? LastChecked)
{
    public static PathHealthView From(PathHealthSnapshot h) => new(h.PathId, PathHealthEndpoints.Round(h.LatencyMs), PathHealthEndpoints.Round(h.PacketLossPct), PathHealthEndpoints.Round(h.JitterMs),
        PathHealthEndpoints.Round(h.HealthScore), h.Status,
        h.LastChecked is { } t ? PathHealthEndpoints.Iso(t) : null);
}

/// <summary>FailoverPolicy as GraphQL shows it.</summary>
public sealed record FailoverPolicyView(
    string PolicyId, string Name, string PrimaryPathId, IReadOnlyList<string> BackupPathIds, double FailoverThreshold, double FailbackThreshold,
    int FailbackDelaySecs, bool Enabled, IReadOnlyList<string> Prefixes, string ActivePathId, bool ReadOnly)
{
    public static FailoverPolicyView From(FailoverPolicy p, FailoverService failover) => new(
        p.Id.ToString(CultureInfo.InvariantCulture), p.Name, p.PrimaryPathId, p.BackupPathIds, p.FailoverThreshold, p.FailbackThreshold,
        (int)p.FailbackDelay.TotalSeconds, p.Enabled, [.. p.Prefixes.Select(x => x.ToString())],
        failover.Status.TryGetValue(p.Id, out var s) ? s.ActivePathId : p.PrimaryPathId, p.ReadOnly);
}

/// <summary>FailoverEvent as GraphQL shows it.</summary>
public sealed record FailoverEventView(string? EventId, string PolicyId, string EventType, string? FromPathId, string? ToPathId, string? Reason, string Timestamp)
{
    public static FailoverEventView From(FailoverEventRecord r) => new(
        r.EventId > 0 ? r.EventId.ToString(CultureInfo.InvariantCulture) : null, r.Event.PolicyId.ToString(CultureInfo.InvariantCulture),
        FailoverEventNames.Name(r.Event.Type), r.Event.FromPathId, r.Event.ToPathId, r.Event.Reason, PathHealthEndpoints.Iso(r.Event.Timestamp));
}
