using System.Data.Common;
using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>Health samples, path status events, rollups and retention (<see cref="IHealthHistoryStore"/>): the same SQL in both dialects.</summary>
public abstract partial class SqlStore
{
    private const long MinuteMs = 60_000;
    private const long HourMs = 3_600_000;

    public async Task<StoreResult> InsertPathHealthAsync(IReadOnlyList<PathHealthSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return StoreResult.Ok;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO sdwan_path_health (path_id, timestamp, latency_ms, packet_loss_pct, jitter_ms, health_score, status)
                VALUES (@PathId, @Timestamp, @LatencyMs, @PacketLossPct, @JitterMs, @HealthScore, @Status)
                """,
                samples.Select(s => new
                {
                    s.PathId,
                    Timestamp = s.Timestamp.ToUnixTimeMilliseconds(),
                    s.LatencyMs,
                    s.PacketLossPct,
                    s.JitterMs,
                    s.HealthScore,
                    Status = StatusText(s.Status),
                }),
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, "a sample refers to a path that does not exist");
        }
    }

    public async Task<IReadOnlyList<PathHealthSample>> GetPathHealthAsync(string pathId, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default)
    {
        // The dialects disagree on LIMIT -1 (SQLite: unlimited, PostgreSQL: error); callers always bound reads.
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<HealthRow>(new CommandDefinition("""
            SELECT path_id, timestamp, latency_ms, packet_loss_pct, jitter_ms, health_score, status
            FROM sdwan_path_health
            WHERE path_id = @PathId AND timestamp >= @From AND timestamp < @Until
            ORDER BY timestamp, health_id
            LIMIT @Limit
            """,
            new { PathId = pathId, From = from.ToUnixTimeMilliseconds(), Until = until.ToUnixTimeMilliseconds(), Limit = limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToSample()).ToList();
    }

    public async Task<StoreResult> InsertPathEventsAsync(IReadOnlyList<PathStatusEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return StoreResult.Ok;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO sdwan_path_events (path_id, timestamp, from_status, to_status, health_score, latency_ms, packet_loss_pct, jitter_ms, reason)
                VALUES (@PathId, @Timestamp, @FromStatus, @ToStatus, @HealthScore, @LatencyMs, @PacketLossPct, @JitterMs, @Reason)
                """,
                events.Select(e => new
                {
                    e.PathId,
                    Timestamp = e.Timestamp.ToUnixTimeMilliseconds(),
                    FromStatus = e.From is { } from ? StatusText(from) : null,
                    ToStatus = StatusText(e.To),
                    e.HealthScore,
                    e.LatencyMs,
                    e.PacketLossPct,
                    e.JitterMs,
                    Reason = e.Reason ?? "",
                }),
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, "an event refers to a path that does not exist");
        }
    }

    public async Task<IReadOnlyList<PathStatusEvent>> GetPathEventsAsync(string pathId, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT path_id, timestamp, from_status, to_status, health_score, latency_ms, packet_loss_pct, jitter_ms, reason
            FROM sdwan_path_events
            WHERE path_id = @PathId AND timestamp >= @From AND timestamp < @Until
            ORDER BY timestamp, event_id
            LIMIT @Limit
            """,
            new { PathId = pathId, From = from.ToUnixTimeMilliseconds(), Until = until.ToUnixTimeMilliseconds(), Limit = limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToEvent()).ToList();
    }

    public async Task<int> RollupAsync(HealthResolution resolution, DateTimeOffset upTo, CancellationToken cancellationToken = default)
    {
        var (target, source, sourceTime, sourceSamples, bucketMs, select) = resolution switch
        {
            HealthResolution.Minute => ("sdwan_path_health_1m", "sdwan_path_health", "timestamp", "COUNT(*)", MinuteMs, MinuteRollupSelect),
            HealthResolution.Hour => ("sdwan_path_health_1h", "sdwan_path_health_1m", "bucket_start", "COALESCE(SUM(samples), 0)", HourMs, HourRollupSelect),
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "only Minute and Hour are rolled up"),
        };
        var end = FloorMs(upTo.ToUnixTimeMilliseconds(), bucketMs);

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var newest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT MAX(bucket_start) FROM {target}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        // Re-aggregate the newest bucket and the one before it: their source rows may still have
        // been arriving when they were last rolled up (the recorder writes up to a flush interval
        // late, longer while the store stalls). Without any bucket yet, start at the oldest source row.
        var next = newest is { } n ? n - bucketMs : long.MinValue;

        var written = 0;
        while (true)
        {
            // Jump over stretches without data (controller down, paths idle) in one indexed lookup.
            var first = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"SELECT MIN({sourceTime}) FROM {source} WHERE {sourceTime} >= @Next AND {sourceTime} < @End",
                new { Next = next, End = end }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (first is not { } firstMs)
            {
                return written;
            }

            var bucket = FloorMs(firstMs, bucketMs);
            next = bucket + bucketMs;
            var args = new { Bucket = bucket, From = bucket, Until = bucket + bucketMs };

            // An existing bucket whose source still holds exactly the rows it counted is unchanged:
            // past buckets only ever gain rows (late samples), and deleting a path deletes its
            // rollups with it. Counting over the time index costs a few percent of re-aggregating.
            if (bucket <= newest)
            {
                var sourceRows = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    $"SELECT {sourceSamples} FROM {source} WHERE {sourceTime} >= @From AND {sourceTime} < @Until",
                    args, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var counted = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    $"SELECT COALESCE(SUM(samples), 0) FROM {target} WHERE bucket_start = @Bucket",
                    args, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (sourceRows == counted)
                {
                    continue;
                }
            }

            // One bucket per transaction: bounded work (paths × samples per bucket). On SQLite the
            // aggregate is read first — WAL readers don't hold the single writer, so the recorder's
            // batches keep going — and only the small upsert (one row per path) takes the write lock.
            // PostgreSQL has no such writer and does it all in one statement.
            if (Provider == StoreProvider.Sqlite)
            {
                var rows = (await connection.QueryAsync<BucketRow>(new CommandDefinition(select, args, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                written += await connection.ExecuteAsync(new CommandDefinition(RollupInsert(target, RollupValues), rows, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                written += await connection.ExecuteAsync(new CommandDefinition(RollupInsert(target, select), args, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<long> DeleteHealthBeforeAsync(HealthResolution resolution, DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        resolution switch
        {
            HealthResolution.Raw => DeleteBeforeAsync("sdwan_path_health", "health_id", "timestamp", cutoff, cancellationToken),
            HealthResolution.Minute => DeleteBeforeAsync("sdwan_path_health_1m", "path_id, bucket_start", "bucket_start", cutoff, cancellationToken),
            HealthResolution.Hour => DeleteBeforeAsync("sdwan_path_health_1h", "path_id, bucket_start", "bucket_start", cutoff, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, null),
        };

    public Task<long> DeletePathEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        DeleteBeforeAsync("sdwan_path_events", "event_id", "timestamp", cutoff, cancellationToken);

    public async Task<IReadOnlyList<PathHealthBucket>> GetPathHealthBucketsAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default)
    {
        var table = resolution switch
        {
            HealthResolution.Minute => "sdwan_path_health_1m",
            HealthResolution.Hour => "sdwan_path_health_1h",
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "buckets exist for Minute and Hour; raw samples come from GetPathHealthAsync"),
        };
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<BucketRow>(new CommandDefinition($"""
            SELECT path_id, bucket_start, samples, latency_avg_ms, latency_min_ms, latency_max_ms, latency_p95_ms,
                loss_avg_pct, jitter_avg_ms, score_avg, score_min, up_samples
            FROM {table}
            WHERE path_id = @PathId AND bucket_start >= @From AND bucket_start < @Until
            ORDER BY bucket_start
            LIMIT @Limit
            """,
            new { PathId = pathId, From = from.ToUnixTimeMilliseconds(), Until = until.ToUnixTimeMilliseconds(), Limit = limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToBucket(resolution)).ToList();
    }

    private static long FloorMs(long ms, long bucketMs) => ms - (((ms % bucketMs) + bucketMs) % bucketMs);

    private static string RollupInsert(string target, string rows) => $"""
        INSERT INTO {target} (path_id, bucket_start, samples, latency_avg_ms, latency_min_ms, latency_max_ms,
            latency_p95_ms, loss_avg_pct, jitter_avg_ms, score_avg, score_min, up_samples)
        {rows}
        ON CONFLICT (path_id, bucket_start) DO UPDATE SET samples = excluded.samples,
            latency_avg_ms = excluded.latency_avg_ms, latency_min_ms = excluded.latency_min_ms,
            latency_max_ms = excluded.latency_max_ms, latency_p95_ms = excluded.latency_p95_ms,
            loss_avg_pct = excluded.loss_avg_pct, jitter_avg_ms = excluded.jitter_avg_ms,
            score_avg = excluded.score_avg, score_min = excluded.score_min, up_samples = excluded.up_samples
        """;

    private const string RollupValues = """
        VALUES (@Path_Id, @Bucket_Start, @Samples, @Latency_Avg_Ms, @Latency_Min_Ms, @Latency_Max_Ms, @Latency_P95_Ms,
            @Loss_Avg_Pct, @Jitter_Avg_Ms, @Score_Avg, @Score_Min, @Up_Samples)
        """;

    // One minute of every path. The p95 is the nearest rank ⌈0.95 n⌉ (integer form (95n + 99) / 100)
    // of the minute's latencies, picked with ROW_NUMBER in the database, so no sample leaves it.
    private const string MinuteRollupSelect = """
        SELECT a.path_id AS path_id, @Bucket AS bucket_start, a.n AS samples, a.latency_avg AS latency_avg_ms,
            a.latency_min AS latency_min_ms, a.latency_max AS latency_max_ms, r.latency_ms AS latency_p95_ms,
            a.loss_avg AS loss_avg_pct, a.jitter_avg AS jitter_avg_ms, a.score_avg AS score_avg,
            a.score_min AS score_min, a.up_n AS up_samples
        FROM (
            SELECT path_id, COUNT(*) AS n, AVG(latency_ms) AS latency_avg, MIN(latency_ms) AS latency_min,
                MAX(latency_ms) AS latency_max, AVG(packet_loss_pct) AS loss_avg, AVG(jitter_ms) AS jitter_avg,
                AVG(health_score) AS score_avg, MIN(health_score) AS score_min,
                SUM(CASE WHEN status = 'up' THEN 1 ELSE 0 END) AS up_n
            FROM sdwan_path_health
            WHERE timestamp >= @From AND timestamp < @Until
            GROUP BY path_id
        ) a
        JOIN (
            SELECT path_id, latency_ms, ROW_NUMBER() OVER (PARTITION BY path_id ORDER BY latency_ms) AS rn
            FROM sdwan_path_health
            WHERE timestamp >= @From AND timestamp < @Until
        ) r ON r.path_id = a.path_id
        WHERE r.rn = (95 * a.n + 99) / 100
        """;

    // One hour of every path from its minutes: sample-weighted means, extremes of extremes, and the
    // highest minute p95 (an upper bound on the hour's p95; see PathHealthBucket.LatencyP95Ms).
    private const string HourRollupSelect = """
        SELECT path_id, @Bucket AS bucket_start, SUM(samples) AS samples,
            SUM(latency_avg_ms * samples) / SUM(samples) AS latency_avg_ms, MIN(latency_min_ms) AS latency_min_ms,
            MAX(latency_max_ms) AS latency_max_ms, MAX(latency_p95_ms) AS latency_p95_ms,
            SUM(loss_avg_pct * samples) / SUM(samples) AS loss_avg_pct, SUM(jitter_avg_ms * samples) / SUM(samples) AS jitter_avg_ms,
            SUM(score_avg * samples) / SUM(samples) AS score_avg, MIN(score_min) AS score_min, SUM(up_samples) AS up_samples
        FROM sdwan_path_health_1m
        WHERE bucket_start >= @From AND bucket_start < @Until
        GROUP BY path_id
        """;

    private static string StatusText(PathStatus status) => status switch
    {
        PathStatus.Up => "up",
        PathStatus.Degraded => "degraded",
        _ => "down",
    };

    private static PathStatus ParseStatus(string text) => text switch
    {
        "up" => PathStatus.Up,
        "degraded" => PathStatus.Degraded,
        _ => PathStatus.Down,
    };

#pragma warning disable CA1812, IDE1006 // instantiated by Dapper
    private sealed class HealthRow
    {
        public string Path_Id { get; set; } = "";
        public long Timestamp { get; set; }
        public double Latency_Ms { get; set; }
        public double Packet_Loss_Pct { get; set; }
        public double Jitter_Ms { get; set; }
        public double Health_Score { get; set; }
        public string Status { get; set; } = "";

        public PathHealthSample ToSample() => new(Path_Id, DateTimeOffset.FromUnixTimeMilliseconds(Timestamp), Latency_Ms,
            Packet_Loss_Pct, Jitter_Ms, Health_Score, ParseStatus(Status));
    }

    private sealed class EventRow
    {
        public string Path_Id { get; set; } = "";
        public long Timestamp { get; set; }
        public string? From_Status { get; set; }
        public string To_Status { get; set; } = "";
        public double Health_Score { get; set; }
        public double Latency_Ms { get; set; }
        public double Packet_Loss_Pct { get; set; }
        public double Jitter_Ms { get; set; }
        public string Reason { get; set; } = "";

        public PathStatusEvent ToEvent() => new(Path_Id, DateTimeOffset.FromUnixTimeMilliseconds(Timestamp),
            From_Status is null ? null : ParseStatus(From_Status), ParseStatus(To_Status), Health_Score, Latency_Ms,
            Packet_Loss_Pct, Jitter_Ms, Reason);
    }

    private sealed class BucketRow
    {
        public string Path_Id { get; set; } = "";
        public long Bucket_Start { get; set; }
        public long Samples { get; set; }
        public double Latency_Avg_Ms { get; set; }
        public double Latency_Min_Ms { get; set; }
        public double Latency_Max_Ms { get; set; }
        public double Latency_P95_Ms { get; set; }
        public double Loss_Avg_Pct { get; set; }
        public double Jitter_Avg_Ms { get; set; }
        public double Score_Avg { get; set; }
        public double Score_Min { get; set; }
        public long Up_Samples { get; set; }

        public PathHealthBucket ToBucket(HealthResolution resolution) => new(Path_Id, DateTimeOffset.FromUnixTimeMilliseconds(Bucket_Start),
            resolution, (int)Samples, Latency_Avg_Ms, Latency_Min_Ms, Latency_Max_Ms, Latency_P95_Ms, Loss_Avg_Pct, Jitter_Avg_Ms,
            Score_Avg, Score_Min, (int)Up_Samples);
    }
#pragma warning restore CA1812, IDE1006
}
