using Patronus.Engine.Health;
using Patronus.GraphQL.Types;
using Patronus.Server.Api;

namespace Patronus.Server.GraphQL;

/// <summary>The schema's types: enums, output objects (views of the engine's snapshots and the REST DTOs) and input objects.</summary>
public static partial class PatronusSchema
{
    private static SchemaBuilder AddTypes(this SchemaBuilder schema) => schema
        .Scalar(Scalars.DateTime)
        .Enum("PathStatus", e => e
            .Description("A path's status from its health score: UP ≥ 80, DEGRADED ≥ 50, DOWN below (or BFD down).")
            .Value("UP", PathStatus.Up)
            .Value("DEGRADED", PathStatus.Degraded)
            .Value("DOWN", PathStatus.Down))
        .Enum("LossSource", e => e
            .Description("Which measurement a path's loss is: the active probes', or the passive one of the tunnel traffic it carries (docs/health.md).")
            .Value("ACTIVE", LossSource.Active)
            .Value("PASSIVE", LossSource.Passive))
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
            .Field("lastChecked", "String", f => f.Description("ISO-8601 UTC; null before the first probe completed."))
            .Field("reason", "String", f => f.Description("Why the status is what it is, in words (e.g. \"loss 7.0 % > 5 %\"); null in history."))
            .Field("lossSource", "LossSource", f => f.Description("Which measurement packetLossPct is: the worse of the probes' and the tunnel traffic's (docs/health.md); null in history."))
            .Field("activeLossPct", "Float", f => f.Description("The active probes' own loss (packetLossPct when lossSource is ACTIVE); null in history.")))
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
            .Field("class", "String", f => f.Description("The traffic class whose packets the policy steers in the tunnels, judged by the class's SLA (no kernel route); null: every packet."))
            .Field("activePathId", "ID!", f => f.Description("The path the policy routes over now."))
            .Field("readOnly", "Boolean!", f => f.Description("Defined in the configuration file: change it there."))
            .Field("lastSwitch", "String", f => f.Description("When traffic last moved (failover or failback), ISO-8601 UTC; null if never since the start."))
            .Field("failbackPendingSince", "String", f => f.Description("While a backup is active: since when the primary has been failback-healthy (the hold-down runs until this + failbackDelaySecs); null otherwise."))
            .Field("heldUntil", "String", f => f.Description("Failbacks are held by flap dampening until then; null when not held.")))
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
            .Field("detectMultiplier", "Int!").Field("passive", "Boolean!").Field("minTtl", "Int!")
            .Field("auth", "PathBfdAuth", f => f.Description("Authentication type and key id; the secret is never shown."))
            .Field("adminDown", "Boolean!"))
        .Object("PathBfdAuth", o => o.ClrType<BfdAuthDto>().Field("type", "String!").Field("keyId", "Int!"))
        .Object("Path", o => o
            .ClrType<PathDto>()
            .Field("id", "ID!").Field("name", "String!").Field("siteId", "ID").Field("linkId", "ID!").Field("remoteSiteId", "ID")
            .Field("targets", "[String!]!").Field("probe", "String!").Field("quorum", "Int!").Field("thresholds", "Thresholds!")
            .Field("bfd", "PathBfd").Field("source", "String!").Field("readOnly", "Boolean!")
            .Field("health", "PathHealth", f => f.Resolve(ctx => Health(ctx, ctx.Parent<PathDto>().Id)))
            .Field("passive", "[PathPassive!]!", f => f
                .Description("Passive measurement of the path from each Patronus tunnel peer's traffic, next to health's active probes (docs/tunnels.md).")
                .Resolve(ctx => PathPassiveViews(ctx, ctx.Parent<PathDto>().Id))))
        .Object("BfdSession", o => o
            .Field("pathId", "ID!").Field("state", "String!").Field("remoteState", "String").Field("localDiagnostic", "String")
            .Field("localDiscriminator", "Float").Field("remoteDiscriminator", "Float").Field("transmitIntervalMs", "Float")
            .Field("detectionTimeMs", "Float").Field("adminDown", "Boolean!")
            .Field("peerAdminDown", "Boolean!", f => f.Description("The peer signalled AdminDown (RFC 5882 §3.2): down for maintenance, not a forwarding failure."))
            .Field("lastChange", "String").Field("error", "String"))
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
            .Field("probe", "String", f => f.Description("stamp (default) or icmp.")).Field("quorum", "Int").Field("thresholds", "ThresholdsInput")
            .Field("bfd", "PathBfdInput", f => f.Description("The path's BFD session; null for none.")))
        .InputObject("PathBfdInput", i => i
            .Field("peer", "String").Field("multihop", "Boolean").Field("desiredMinTxMs", "Int").Field("requiredMinRxMs", "Int")
            .Field("detectMultiplier", "Int").Field("passive", "Boolean").Field("minTtl", "Int").Field("auth", "PathBfdAuthInput").Field("adminDown", "Boolean"))
        .InputObject("PathBfdAuthInput", i => i
            .Field("type", "String", f => f.Description("simple-password, keyed-md5, meticulous-keyed-md5, keyed-sha1 or meticulous-keyed-sha1."))
            .Field("keyId", "Int")
            .Field("secret", "String", f => f.Description("Write-only; omitted on update keeps the current secret.")));
}
