using System.Globalization;
using Microsoft.Extensions.Options;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Cluster;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Export;

namespace Patronus.Server.GraphQL;


/// <summary>Queries: the engine's current state and the stored history, each root field checked for viewer (users and the audit log: admin).</summary>
public static partial class PatronusSchema
{
    private static SchemaBuilder AddQueries(this SchemaBuilder schema) => schema
        .Object("Query", o => o
            .ClusterQuery()
            .Field("pathHealth", "PathHealth", f => f.Argument("pathId", "ID!").ResolveAs(UserRole.Viewer, ctx => Health(ctx, ctx.Argument<string>("pathId"))))
            .Field("allPathsHealth", "[PathHealth!]!", f => f.ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<ClusterFeed>().All.Select(PathHealthView.From).ToList()))
            .Field("pathHealthHistory", "[PathHealth!]!", f => f
                .Description("History (oldest 5,000 at most) between since and until (default now): raw samples with Health:Persistence:RawSamples on, else one entry per 10-second bucket (its means).")
                .Argument("pathId", "ID!").Argument("since", "String!").Argument("until", "String")
                .ResolveAs(UserRole.Viewer, HistoryAsync))
            .Field("failoverPolicy", "FailoverPolicy", f => f.Argument("policyId", "ID!").ResolveAs(UserRole.Viewer, ctx =>
                Policies(ctx).Find(ctx.Argument<string>("policyId")) is { } p ? FailoverPolicyView.From(p, Ctx(ctx).Service<ClusterFeed>()) : null))
            .Field("allFailoverPolicies", "[FailoverPolicy!]!", f => f.ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<FailoverPolicyService>().Current.Select(p => FailoverPolicyView.From(p, Ctx(ctx).Service<ClusterFeed>())).ToList()))
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
            .AddTunnelQueries()
            .Field("pathStats", "PathStats", f => f
                .Argument("pathId", "ID!").Argument("period", "StatsPeriod", a => a.DefaultLiteral("DAY"))
                .Argument("since", "DateTime").Argument("until", "DateTime")
                .ResolveAs(UserRole.Viewer, StatsAsync))
            .Field("users", "[User!]!", f => f.Description("Every user (admin).").ResolveAs(UserRole.Admin, async ctx =>
                (await Ctx(ctx).Service<Security.UserAccounts>().ListAsync(ctx.CancellationToken).ConfigureAwait(false))
                    .Select(u => new Dictionary<string, object?>
                    {
                        ["username"] = u.Username,
                        ["role"] = UserRoles.Name(u.Role),
                        ["disabled"] = u.Disabled,
                        ["createdAt"] = PathHealthEndpoints.Iso(u.CreatedAt),
                        ["updatedAt"] = PathHealthEndpoints.Iso(u.UpdatedAt),
                    }).ToList()))
            .Field("auditLog", "[AuditEntry!]!", f => f
                .Description("Changes and sign-ins, newest first (admin).")
                .Argument("since", "String").Argument("limit", "Int", a => a.DefaultLiteral("100")).ListSize("limit")
                .ResolveAs(UserRole.Admin, AuditAsync)));

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

        var store = c.Service<IHealthHistoryStore>();
        if (!c.Service<IOptions<HealthPersistenceOptions>>().Value.RawSamples)
        {
            // Raw samples are opt-in: one point per 10-second bucket (its means; Up when every sample was, else the status of its lowest score).
            var buckets = await store.GetPathHealthBucketsAsync(id, HealthResolution.TenSeconds, since, until, PathHealthEndpoints.DefaultHistoryLimit, ctx.CancellationToken).ConfigureAwait(false);
            return buckets.Select(b => new PathHealthView(b.PathId, b.LatencyAvgMs, b.LossAvgPct, b.JitterAvgMs, b.ScoreAvg,
                BucketStatus(b), PathHealthEndpoints.Iso(b.BucketStart))).ToList();
        }

        var samples = await store.GetPathHealthAsync(id, since, until, PathHealthEndpoints.DefaultHistoryLimit, ctx.CancellationToken).ConfigureAwait(false);
        return samples.Select(s => new PathHealthView(s.PathId, s.LatencyMs, s.PacketLossPct, s.JitterMs, s.HealthScore, s.Status, PathHealthEndpoints.Iso(s.Timestamp))).ToList();
    }

    private static PathStatus BucketStatus(PathHealthBucket bucket) =>
        bucket.UpSamples == bucket.Samples ? PathStatus.Up
        : HealthScoring.StatusOf(bucket.ScoreMin) == PathStatus.Down ? PathStatus.Down
        : PathStatus.Degraded;

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
            ["paths"] = c.Service<ClusterFeed>().All.Select(h => new Dictionary<string, object?>
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
        ["peerAdminDown"] = s.PeerAdminDown,
        ["lastChange"] = s.LastChange is { } t ? PathHealthEndpoints.Iso(t) : null,
        ["error"] = s.Error,
    };
}
