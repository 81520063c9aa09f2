using System.Data.Common;
using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>Raw health samples (opt-in), path status events and their retention (<see cref="IHealthHistoryStore"/>; the buckets are in SqlStore.HealthBlocks.cs): the same SQL in both dialects.</summary>
public abstract partial class SqlStore
{
    public async Task<StoreResult> InsertPathHealthAsync(IReadOnlyList<PathHealthSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return StoreResult.Ok;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var fence = await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        if (fence.Refused is { } fenced)
        {
            return fenced;
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO sdwan_path_health (path_id, timestamp, latency_ms, packet_loss_pct, jitter_ms, health_score, status, term)
                VALUES (@PathId, @Timestamp, @LatencyMs, @PacketLossPct, @JitterMs, @HealthScore, @Status, @Term)
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
                    fence.Term,
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
        var fence = await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        if (fence.Refused is { } fenced)
        {
            return fenced;
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO sdwan_path_events (path_id, timestamp, from_status, to_status, health_score, latency_ms, packet_loss_pct, jitter_ms, reason, term)
                VALUES (@PathId, @Timestamp, @FromStatus, @ToStatus, @HealthScore, @LatencyMs, @PacketLossPct, @JitterMs, @Reason, @Term)
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
                    fence.Term,
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

    public Task<long> DeleteHealthBeforeAsync(HealthResolution resolution, DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        resolution switch
        {
            HealthResolution.Raw => DeleteBeforeAsync("sdwan_path_health", "health_id", "timestamp", cutoff, cancellationToken),
            HealthResolution.TenSeconds or HealthResolution.Minute or HealthResolution.Hour => DeleteBlocksBeforeAsync(resolution, cutoff, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, null),
        };

    public Task<long> DeletePathEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        DeleteBeforeAsync("sdwan_path_events", "event_id", "timestamp", cutoff, cancellationToken);

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
