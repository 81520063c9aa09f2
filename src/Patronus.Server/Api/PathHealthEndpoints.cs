using Patronus.Engine.Cluster;
using System.Globalization;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;

namespace Patronus.Server.Api;

/// <summary>
/// Path health over REST: the current health of all paths in the seed's JSON shape, one path's
/// health with its quorum detail, and history from raw samples or rollups.
/// </summary>
internal static class PathHealthEndpoints
{
    /// <summary>Default span of a history query without <c>since</c>.</summary>
    public static readonly TimeSpan DefaultHistorySpan = TimeSpan.FromHours(1);

    public const int DefaultHistoryLimit = 5_000;
    public const int MaxHistoryLimit = 50_000;

    public static RouteGroupBuilder MapPathHealth(this RouteGroupBuilder api)
    {
        // Health as the cluster shows it (ClusterFeed): the leader's on a follower, as GraphQL shows it.
        api.MapGet("/metrics/health", (ClusterFeed health) =>
            Results.Ok(new { paths = health.All.Select(h => new { path_id = h.PathId, health = Health(h) }) }));

        api.MapGet("/paths/{id}/health", (string id, ClusterFeed health, TopologyService topology, Patronus.Engine.Tunnels.TunnelService tunnels) =>
            health.Get(id) is { } h
                ? Results.Ok(Detail(h, tunnels))
                : topology.Current.PathsById.ContainsKey(id)
                    ? Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not monitored yet", $"path '{id}' exists but its monitor has not started")
                    : Problems.NotFound("path", id));

        api.MapGet("/paths/{id}/health/history", HistoryAsync);
        api.MapGet("/paths/{id}/stats", StatsAsync);
        return api;
    }

    /// <summary>active or passive: which measurement a path's loss is (<see cref="PassiveLossRule"/>).</summary>
    internal static string LossSourceText(LossSource source) => source == LossSource.Passive ? "passive" : "active";

    internal static object Health(PathHealthSnapshot h) => new
    {
        latency_ms = Round(h.LatencyMs),
        packet_loss_pct = Round(h.PacketLossPct),
        jitter_ms = Round(h.JitterMs),
        health_score = Round(h.HealthScore),
        status = StatusText(h.Status),
        last_checked = h.LastChecked is { } t ? Iso(t) : null,
    };

    // health: the path's health (its loss the worse of probes and tunnel traffic, docs/health.md);
    // loss_source: which of the two that loss is; active_loss_pct: the probes' own; passive_loss:
    // the tunnel traffic's loss as health weighed it; passive: each Patronus tunnel peer's
    // 10 s measurement of the path (docs/tunnels.md).
    private static object Detail(PathHealthSnapshot h, Patronus.Engine.Tunnels.TunnelService tunnels) => new
    {
        path_id = h.PathId,
        health = Health(h),
        targets_up = h.TargetsUp,
        target_count = h.TargetCount,
        quorum = h.Quorum,
        reason = h.Reason,
        loss_source = LossSourceText(h.LossSource),
        active_loss_pct = Round(h.ActiveLossPct),
        passive_loss = h.Passive is { } p ? new { loss_pct = Round(p.LossPct), expected = p.Expected, received = p.Received } : null,
        passive = TunnelEndpoints.PassiveOf(tunnels, h.PathId).Select(p => new { peer = p.Peer, measurement = TunnelEndpoints.Passive(p.Passive) }).ToList(),
    };

    private static async Task<IResult> HistoryAsync(string id, HttpRequest request, TopologyService topology, IHealthHistoryStore store,
        TimeProvider time, Microsoft.Extensions.Options.IOptions<HealthPersistenceOptions> retention, CancellationToken ct)
    {
        if (!topology.Current.PathsById.ContainsKey(id))
        {
            return Problems.NotFound("path", id);
        }

        var errors = new Dictionary<string, string[]>();
        var now = time.GetUtcNow();
        var until = ParseTime(request.Query["until"], "until", now, errors);
        // until may be the first instant DateTimeOffset has: the default span must not reach below it.
        var since = ParseTime(request.Query["since"], "since", until.UtcTicks > DefaultHistorySpan.Ticks ? until - DefaultHistorySpan : DateTimeOffset.MinValue, errors);
        var limit = DefaultHistoryLimit;
        if (request.Query["limit"] is { Count: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxHistoryLimit))
        {
            errors["limit"] = [$"'{rawLimit}' is not a whole number from 1 to {MaxHistoryLimit}"];
        }

        var resolutionText = request.Query["resolution"].ToString();
        HealthResolution? resolution = resolutionText switch
        {
            "" or "auto" => null,
            "raw" => HealthResolution.Raw,
            "10s" => HealthResolution.TenSeconds,
            "1m" => HealthResolution.Minute,
            "1h" => HealthResolution.Hour,
            _ => HealthResolution.Raw,
        };
        if (resolutionText is not ("" or "auto" or "raw" or "10s" or "1m" or "1h"))
        {
            errors["resolution"] = [$"'{resolutionText}' is not one of auto, raw, 10s, 1m, 1h"];
        }

        if (errors.Count == 0 && since >= until)
        {
            errors["since"] = ["must be earlier than until"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        // Auto picks the level by span and steps to a coarser one where retention has expired the start.
        var plan = HealthHistory.Plan(since, until, resolution, now, retention.Value);
        var chosen = plan.Resolution;
        if (chosen == HealthResolution.Raw)
        {
            var samples = plan.IsEmpty ? [] : await store.GetPathHealthAsync(id, plan.From, plan.Until, limit, ct).ConfigureAwait(false);
            return Results.Ok(new
            {
                path_id = id,
                resolution = "raw",
                since = Iso(since),
                until = Iso(until),
                samples = samples.Select(s => new
                {
                    timestamp = Iso(s.Timestamp),
                    latency_ms = Round(s.LatencyMs),
                    packet_loss_pct = Round(s.PacketLossPct),
                    jitter_ms = Round(s.JitterMs),
                    health_score = Round(s.HealthScore),
                    status = StatusText(s.Status),
                }),
            });
        }

        var buckets = plan.IsEmpty ? [] : await store.GetPathHealthBucketsAsync(id, chosen, plan.From, plan.Until, limit, ct).ConfigureAwait(false);
        return Results.Ok(new
        {
            path_id = id,
            resolution = ResolutionText(chosen),
            since = Iso(since),
            until = Iso(until),
            buckets = buckets.Select(b => new
            {
                bucket_start = Iso(b.BucketStart),
                samples = b.Samples,
                latency_avg_ms = Round(b.LatencyAvgMs),
                latency_min_ms = Round(b.LatencyMinMs),
                latency_max_ms = Round(b.LatencyMaxMs),
                latency_p95_ms = Round(b.LatencyP95Ms),
                packet_loss_avg_pct = Round(b.LossAvgPct),
                jitter_avg_ms = Round(b.JitterAvgMs),
                health_score_avg = Round(b.ScoreAvg),
                health_score_min = Round(b.ScoreMin),
                uptime_pct = b.Samples == 0 ? 0 : Round(b.UpSamples * 100.0 / b.Samples),
            }),
        });
    }

    /// <summary>Longest custom stats period: 400 days, the default retention of 1-hour buckets.</summary>
    public static readonly TimeSpan MaxStatsSpan = TimeSpan.FromDays(400);

    /// <summary>Named stats periods, each ending now. A month is 30 days (not a calendar month).</summary>
    internal static readonly Dictionary<string, TimeSpan> s_statsPeriods = new(StringComparer.Ordinal)
    {
        ["hour"] = TimeSpan.FromHours(1),
        ["day"] = TimeSpan.FromDays(1),
        ["week"] = TimeSpan.FromDays(7),
        ["month"] = TimeSpan.FromDays(30),
    };

    private static async Task<IResult> StatsAsync(string id, HttpRequest request, TopologyService topology, IHealthHistoryStore store, TimeProvider time,
        Microsoft.Extensions.Options.IOptions<HealthPersistenceOptions> retention, Microsoft.Extensions.Options.IOptions<HealthOptions> health, CancellationToken ct)
    {
        if (!topology.Current.PathsById.ContainsKey(id))
        {
            return Problems.NotFound("path", id);
        }

        var errors = new Dictionary<string, string[]>();
        var period = request.Query["period"].ToString();
        if (period.Length == 0)
        {
            period = "day";
        }

        var sinceText = request.Query["since"].ToString();
        var untilText = request.Query["until"].ToString();
        DateTimeOffset since = default, until = default;
        if (period == "custom")
        {
            since = ParseUtc(sinceText, "since", errors);
            until = ParseUtc(untilText, "until", errors);
            if (errors.Count == 0 && until <= since)
            {
                errors["until"] = ["must be later than since"];
            }
            else if (errors.Count == 0 && until - since > MaxStatsSpan)
            {
                errors["since"] = [$"the period may span at most {MaxStatsSpan.TotalDays:F0} days"];
            }
        }
        else if (!s_statsPeriods.ContainsKey(period))
        {
            errors["period"] = [$"'{period}' is not one of hour, day, week, month, custom"];
        }
        else
        {
            foreach (var (field, text) in new[] { ("since", sinceText), ("until", untilText) })
            {
                if (text.Length > 0)
                {
                    errors[field] = ["only with period=custom"];
                }
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var reader = new HealthStatsReader(store, retention.Value, health.Value.SampleInterval, time);
        var stats = period == "custom"
            ? await reader.ReadAsync(id, since, until, ct).ConfigureAwait(false)
            : await reader.ReadAsync(id, s_statsPeriods[period], ct).ConfigureAwait(false);
        return Results.Ok(new
        {
            path_id = id,
            period,
            period_start = Iso(stats.From),
            period_end = Iso(stats.Until),
            resolution = ResolutionText(stats.Resolution),
            sample_count = stats.SampleCount,
            coverage_pct = Round(stats.CoveragePct),
            uptime_pct = Round(stats.UptimePct),
            latency_avg_ms = Round(stats.LatencyAvgMs),
            latency_min_ms = Round(stats.LatencyMinMs),
            latency_max_ms = Round(stats.LatencyMaxMs),
            latency_p95_ms = Round(stats.LatencyP95Ms),
            latency_p95_exact = stats.LatencyP95Ms is null ? (bool?)null : stats.LatencyP95Exact,
            packet_loss_avg_pct = Round(stats.LossAvgPct),
            jitter_avg_ms = Round(stats.JitterAvgMs),
            health_score_avg = Round(stats.ScoreAvg),
        });
    }

    /// <summary>
    /// A custom period bound: ISO-8601 with a date, a time and a zone (<c>Z</c> or an offset, converted
    /// to UTC); a time without a zone is rejected rather than guessed.
    /// </summary>
    private static DateTimeOffset ParseUtc(string text, string field, Dictionary<string, string[]> errors)
    {
        if (text.Length == 0)
        {
            errors[field] = ["required with period=custom (ISO-8601 UTC, e.g. 2026-11-22T05:00:00Z)"];
            return default;
        }

        if (DateTimeOffset.TryParseExact(text, s_isoFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[field] = [$"'{text}' is not an ISO-8601 time with a zone (e.g. 2026-11-22T05:00:00Z)"];
        return default;
    }

    private static readonly string[] s_isoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
        "yyyy-MM-dd'T'HH:mm'Z'",
        "yyyy-MM-dd'T'HH:mmzzz",
    ];

    private static string ResolutionText(HealthResolution resolution) => resolution switch
    {
        HealthResolution.TenSeconds => "10s",
        HealthResolution.Minute => "1m",
        HealthResolution.Hour => "1h",
        _ => "raw",
    };

    private static DateTimeOffset ParseTime(string? text, string field, DateTimeOffset fallback, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[field] = [$"'{text}' is not an ISO-8601 time (e.g. 2026-11-22T05:00:00Z)"];
        return fallback;
    }

    /// <summary>
    /// An instant as ISO-8601 UTC to the millisecond (<c>2026-11-22T05:00:00.123Z</c>), once per path
    /// in every health answer (REST and GraphQL). Made from the round-trip form ("O", which the
    /// runtime formats without parsing a pattern: a custom pattern was a tenth of a 1,000-path
    /// GraphQL request's CPU) cut to three fraction digits; both truncate, so the text is the same.
    /// </summary>
    internal static string Iso(DateTimeOffset t)
    {
        Span<char> text = stackalloc char[28];
        if (!t.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture) || written != 28)
        {
            return t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        }

        text[23] = 'Z'; // yyyy-MM-ddTHH:mm:ss.fffffffZ → yyyy-MM-ddTHH:mm:ss.fffZ
        return new string(text[..24]);
    }

    internal static string StatusText(PathStatus status) => status switch
    {
        PathStatus.Up => "up",
        PathStatus.Degraded => "degraded",
        _ => "down",
    };

    /// <summary>Three decimals: sub-millisecond loopback RTTs stay visible; the noise below does not.</summary>
    internal static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;

    /// <summary>Three decimals; null (no data) and a non-finite value stay null, never NaN or Infinity in the JSON.</summary>
    internal static double? Round(double? value) => value is { } v && double.IsFinite(v) ? Math.Round(v, 3) : null;
}
