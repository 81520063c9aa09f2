using System.Buffers;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence;

/// <summary>
/// Packed health history (migration 9, <see cref="HealthBlockCodec"/>): the recorder's 10-second
/// buckets appended to their path's 10-minute block, the 1-minute and 1-hour rollups rewritten a
/// block at a time, reads that unpack a path's blocks, and block retention. Same SQL in both
/// dialects except the BLOB append.
/// </summary>
public abstract partial class SqlStore
{
    /// <summary>Rows per rollup write transaction: bounds how long SQLite's single writer is held (~2,000 small upserts).</summary>
    private const int RollupChunkRows = 2_000;

    private static string BlockTable(HealthResolution resolution) => resolution switch
    {
        HealthResolution.TenSeconds => "sdwan_path_health_10s",
        HealthResolution.Minute => "sdwan_path_health_1m_blocks",
        HealthResolution.Hour => "sdwan_path_health_1h_blocks",
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "buckets exist for TenSeconds, Minute and Hour; raw samples come from GetPathHealthAsync"),
    };

    /// <summary>The row-per-bucket tables of migration 3, read until their rows age out.</summary>
    private static string? LegacyBucketTable(HealthResolution resolution) => resolution switch
    {
        HealthResolution.Minute => "sdwan_path_health_1m",
        HealthResolution.Hour => "sdwan_path_health_1h",
        _ => null,
    };

    public async Task<StoreResult> InsertPathHealthBucketsAsync(IReadOnlyList<PathHealthBucket> buckets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        if (buckets.Count == 0)
        {
            return StoreResult.Ok;
        }

        // One appended BLOB per (path, block): a batch usually holds one bucket per path.
        var blocks = new Dictionary<(string PathId, long Start), ArrayBufferWriter<byte>>();
        foreach (var bucket in buckets)
        {
            if (bucket.Resolution != HealthResolution.TenSeconds)
            {
                throw new ArgumentException($"the recorder writes TenSeconds buckets, not {bucket.Resolution}", nameof(buckets));
            }

            var start = HealthBlockCodec.BlockStart(HealthResolution.TenSeconds, bucket.BucketStart.ToUnixTimeMilliseconds());
            if (!blocks.TryGetValue((bucket.PathId, start), out var data))
            {
                data = new ArrayBufferWriter<byte>(32);
                blocks.Add((bucket.PathId, start), data);
            }

            HealthBlockCodec.Write(data, bucket, start);
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
            // SQLite's || yields TEXT; the CAST keeps the column a BLOB. PostgreSQL appends bytea natively.
            var append = Provider == StoreProvider.Sqlite ? "CAST(sdwan_path_health_10s.data || excluded.data AS BLOB)" : "sdwan_path_health_10s.data || excluded.data";
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = $"""
                INSERT INTO sdwan_path_health_10s (path_id, block_start, data, term) VALUES (@PathId, @Start, @Data, @Term)
                ON CONFLICT (path_id, block_start) DO UPDATE SET data = {append}, term = excluded.term
                """;
            var pathId = AddParameter(command, "PathId");
            var start = AddParameter(command, "Start");
            var data = AddParameter(command, "Data");
            TermParameter(command, fence.Term);
            foreach (var ((id, blockStart), bytes) in blocks)
            {
                pathId.Value = id;
                start.Value = blockStart;
                data.Value = bytes.WrittenSpan.ToArray();
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return StoreResult.Ok;
        }
        catch (DbException ex) when (Classify(ex) == ConstraintKind.ForeignKey)
        {
            return new(StoreStatus.MissingReference, "a bucket refers to a path that does not exist");
        }
    }

    public async Task<IReadOnlyList<PathHealthBucket>> GetPathHealthBucketsAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default)
    {
        BlockTable(resolution);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var buckets = await ReadBucketListAsync(pathId, resolution, from, until, cancellationToken).ConfigureAwait(false);
        return buckets.Count > limit ? buckets.GetRange(0, limit) : buckets;
    }

    public async IAsyncEnumerable<PathHealthBucket> ReadPathHealthBucketsAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlockTable(resolution);
        // A path's blocks of a range are few (a week of minutes: 168 rows, ≤ 10,080 buckets): read whole.
        foreach (var bucket in await ReadBucketListAsync(pathId, resolution, from, until, cancellationToken).ConfigureAwait(false))
        {
            yield return bucket;
        }
    }

    public async Task<DateTimeOffset?> GetHealthRolledUpUntilAsync(HealthResolution resolution, CancellationToken cancellationToken = default)
    {
        if (resolution is not (HealthResolution.Minute or HealthResolution.Hour))
        {
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "rollups exist for Minute and Hour");
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var until = await RolledUpUntilAsync(connection, resolution, cancellationToken).ConfigureAwait(false);
        if (until is null)
        {
            // Before the first packed rollup: the old row-per-bucket table's newest bucket (an index seek).
            var newest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"SELECT MAX(bucket_start) FROM {LegacyBucketTable(resolution)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            until = newest + HealthBlockCodec.BucketMs(resolution);
        }

        return until is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public async Task<int> RollupAsync(HealthResolution resolution, DateTimeOffset upTo, CancellationToken cancellationToken = default)
    {
        var source = resolution switch
        {
            HealthResolution.Minute => HealthResolution.TenSeconds,
            HealthResolution.Hour => HealthResolution.Minute,
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "only Minute and Hour are rolled up"),
        };
        var bucketMs = HealthBlockCodec.BucketMs(resolution);
        var blockMs = HealthBlockCodec.BlockMs(resolution);
        var sourceBlockMs = HealthBlockCodec.BlockMs(source);
        var end = HealthBlockCodec.Floor(upTo.ToUnixTimeMilliseconds(), bucketMs);

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var done = await RolledUpUntilAsync(connection, resolution, cancellationToken).ConfigureAwait(false);
        if (done >= end)
        {
            return 0; // no bucket has ended since the last run
        }

        // Re-aggregate the last bucket of the previous run too: its source may still have been
        // arriving (the recorder writes a 10-second bucket up to a flush interval after it ends,
        // later while the store stalls). Without a previous run, start at the oldest source block.
        var next = done is { } d ? d - bucketMs : long.MinValue;
        var written = 0;
        long? newest = null;
        while (next < end)
        {
            // Jump over stretches without data (controller down) in one indexed lookup.
            var first = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"SELECT MIN(block_start) FROM {BlockTable(source)} WHERE block_start > @Next AND block_start < @End",
                new { Next = next == long.MinValue ? long.MinValue : next - sourceBlockMs, End = end }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (first is not { } firstMs)
            {
                break;
            }

            // One target block at a time: bounded memory (every path's source blocks of one hour, or day).
            var from = Math.Max(next, HealthBlockCodec.Floor(firstMs, bucketMs));
            var block = HealthBlockCodec.Floor(from, blockMs);
            var until = Math.Min(end, block + blockMs);
            var (buckets, last, refused) = await RollupBlockAsync(connection, source, resolution, block, from, until, cancellationToken).ConfigureAwait(false);
            written += buckets;
            newest = last ?? newest;
            next = until;
            if (refused)
            {
                return written; // fenced: this node no longer leads; the leader's next pass redoes the range
            }
        }

        if (newest is { } n && (done is null || n > done))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if ((await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false)).Refused is not null)
            {
                return written;
            }

            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO sdwan_path_health_rollups (resolution, rolled_up_until) VALUES (@Resolution, @Until)
                ON CONFLICT (resolution) DO UPDATE SET rolled_up_until = excluded.rolled_up_until
                """, new { Resolution = resolution.ToString(), Until = n }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>
    /// Rolls [<paramref name="from"/>, <paramref name="until"/>) of every path into the target block
    /// starting at <paramref name="block"/>: reads the source blocks of the range (WAL readers don't
    /// hold SQLite's writer), replaces those buckets in each path's target block and writes the blocks
    /// back in chunks, each fenced. Returns the buckets written, the end of the newest, and whether a chunk was fenced (the pass stops).
    /// </summary>
    private async Task<(int Buckets, long? Newest, bool Fenced)> RollupBlockAsync(DbConnection connection, HealthResolution source, HealthResolution target, long block, long from, long until,
        CancellationToken cancellationToken)
    {
        var bucketMs = HealthBlockCodec.BucketMs(target);
        var sourceBlockMs = HealthBlockCodec.BlockMs(source);
        var rolled = new Dictionary<string, SortedDictionary<long, PathHealthBucket>>(StringComparer.Ordinal);
        var rows = await connection.QueryAsync<BlockRow>(new CommandDefinition(
            $"SELECT path_id, block_start, data FROM {BlockTable(source)} WHERE block_start > @From AND block_start < @Until",
            new { From = from - sourceBlockMs, Until = until }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var row in rows)
        {
            foreach (var bucket in HealthBlockCodec.Read(row.Data, row.Path_Id, source, row.Block_Start))
            {
                var startMs = bucket.BucketStart.ToUnixTimeMilliseconds();
                if (startMs < from || startMs >= until)
                {
                    continue;
                }

                var targetStart = HealthBlockCodec.Floor(startMs, bucketMs);
                if (!rolled.TryGetValue(row.Path_Id, out var path))
                {
                    path = [];
                    rolled.Add(row.Path_Id, path);
                }

                var coarse = bucket with { BucketStart = DateTimeOffset.FromUnixTimeMilliseconds(targetStart), Resolution = target };
                path[targetStart] = path.TryGetValue(targetStart, out var sum) ? sum.Combine(coarse) : coarse;
            }
        }

        if (rolled.Count == 0)
        {
            return (0, null, false);
        }

        var existing = (await connection.QueryAsync<BlockRow>(new CommandDefinition(
            $"SELECT path_id, block_start, data FROM {BlockTable(target)} WHERE block_start = @Block",
            new { Block = block }, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .ToDictionary(r => r.Path_Id, StringComparer.Ordinal);

        var written = 0;
        long newest = long.MinValue;
        var table = BlockTable(target);
        foreach (var chunk in rolled.Chunk(RollupChunkRows))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var fence = await FenceAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            if (fence.Refused is not null)
            {
                return (written, newest == long.MinValue ? null : newest, true);
            }

            // A path deleted since its source was read must not make the insert fail: on PostgreSQL a
            // failed statement aborts the whole transaction (every later statement answers 25P02, and
            // COMMIT quietly rolls back the chunk's other paths while the pass goes on as if they were
            // written). So the insert happens only while the path exists, and on PostgreSQL it takes the
            // same KEY SHARE lock on the path's row that the foreign key check takes anyway: a delete
            // running now is waited for and then seen (the row is gone: nothing inserted), and a later
            // one waits for this chunk and cascades to the block. On SQLite the chunk holds the single
            // writer, so nothing can delete between the check and the insert (and a failed statement
            // there would not abort the transaction anyway). Not a SAVEPOINT per row: that is two more
            // round trips for each of the chunk's 2,000 paths, to undo an error this way never raises.
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = $"""
                INSERT INTO {table} (path_id, block_start, data, term)
                SELECT @PathId, @Start, @Data, @Term WHERE EXISTS (SELECT 1 FROM sdwan_paths WHERE path_id = @PathId {PathKeyLockSql})
                ON CONFLICT (path_id, block_start) DO UPDATE SET data = excluded.data, term = excluded.term
                """;
            var pathId = AddParameter(command, "PathId");
            var start = AddParameter(command, "Start");
            var data = AddParameter(command, "Data");
            TermParameter(command, fence.Term);
            foreach (var (id, fresh) in chunk)
            {
                // Keep the block's other buckets; a bucket of this range is replaced whole (idempotent).
                var merged = new SortedDictionary<long, PathHealthBucket>(fresh);
                if (existing.TryGetValue(id, out var old))
                {
                    foreach (var bucket in HealthBlockCodec.Read(old.Data, id, target, block))
                    {
                        merged.TryAdd(bucket.BucketStart.ToUnixTimeMilliseconds(), bucket);
                    }
                }

                pathId.Value = id;
                start.Value = block;
                data.Value = HealthBlockCodec.Encode(merged.Values, block);
                if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    continue; // the path was deleted since its source was read: nothing to keep
                }

                written += fresh.Count;
                newest = Math.Max(newest, fresh.Keys.Max() + bucketMs);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (written, newest == long.MinValue ? null : newest, false);
    }

    /// <summary>
    /// Writes whole encoded blocks of any level, replacing what is stored, in one transaction: the
    /// history budget harness (bench/Patronus.Bench, <c>history-budget</c>) fills a store with synthetic
    /// history this way, in the very rows and encoding the recorder and the rollups produce.
    /// </summary>
    internal async Task WriteBlocksAsync(HealthResolution resolution, IReadOnlyList<(string PathId, long BlockStart, byte[] Data)> blocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"""
            INSERT INTO {BlockTable(resolution)} (path_id, block_start, data) VALUES (@PathId, @Start, @Data)
            ON CONFLICT (path_id, block_start) DO UPDATE SET data = excluded.data
            """;
        var pathId = AddParameter(command, "PathId");
        var start = AddParameter(command, "Start");
        var data = AddParameter(command, "Data");
        foreach (var block in blocks)
        {
            pathId.Value = block.PathId;
            start.Value = block.BlockStart;
            data.Value = block.Data;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the blocks of <paramref name="resolution"/> whose every bucket started before <paramref name="cutoff"/>, and expired rows of the old bucket table.</summary>
    private async Task<long> DeleteBlocksBeforeAsync(HealthResolution resolution, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        // A block goes once its last bucket is past retention: block_start + block ≤ cutoff + bucket.
        var lastBucket = HealthBlockCodec.BlockMs(resolution) - HealthBlockCodec.BucketMs(resolution);
        var deleted = await DeleteBeforeAsync(BlockTable(resolution), "path_id, block_start", "block_start",
            cutoff - TimeSpan.FromMilliseconds(lastBucket), cancellationToken).ConfigureAwait(false);
        if (LegacyBucketTable(resolution) is { } legacy)
        {
            deleted += await DeleteBeforeAsync(legacy, "path_id, bucket_start", "bucket_start", cutoff, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    private async Task<List<PathHealthBucket>> ReadBucketListAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var fromMs = from.ToUnixTimeMilliseconds();
        var untilMs = until.ToUnixTimeMilliseconds();
        var buckets = new List<PathHealthBucket>();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        if (LegacyBucketTable(resolution) is { } legacy)
        {
            var old = await connection.QueryAsync<BucketRow>(new CommandDefinition($"""
                SELECT path_id, bucket_start, samples, latency_avg_ms, latency_min_ms, latency_max_ms, latency_p95_ms,
                    loss_avg_pct, jitter_avg_ms, score_avg, score_min, up_samples
                FROM {legacy}
                WHERE path_id = @PathId AND bucket_start >= @From AND bucket_start < @Until
                ORDER BY bucket_start
                """, new { PathId = pathId, From = fromMs, Until = untilMs }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            buckets.AddRange(old.Select(r => r.ToBucket(resolution)));
        }

        var rows = await connection.QueryAsync<BlockRow>(new CommandDefinition(
            $"SELECT path_id, block_start, data FROM {BlockTable(resolution)} WHERE path_id = @PathId AND block_start > @From AND block_start < @Until ORDER BY block_start",
            new { PathId = pathId, From = fromMs - HealthBlockCodec.BlockMs(resolution), Until = untilMs }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var legacyCount = buckets.Count;
        foreach (var row in rows)
        {
            foreach (var bucket in HealthBlockCodec.Read(row.Data, pathId, resolution, row.Block_Start))
            {
                var startMs = bucket.BucketStart.ToUnixTimeMilliseconds();
                if (startMs >= fromMs && startMs < untilMs)
                {
                    buckets.Add(bucket);
                }
            }
        }

        if (legacyCount > 0 && buckets.Count > legacyCount)
        {
            // Only around the upgrade may an old row and a block hold the same bucket: merge them.
            buckets = buckets.GroupBy(b => b.BucketStart).OrderBy(g => g.Key).Select(g => g.Aggregate((a, b) => a.Combine(b))).ToList();
        }

        return buckets;
    }

    private static async Task<long?> RolledUpUntilAsync(DbConnection connection, HealthResolution resolution, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT rolled_up_until FROM sdwan_path_health_rollups WHERE resolution = @Resolution",
            new { Resolution = resolution.ToString() }, cancellationToken: cancellationToken)).ConfigureAwait(false);

    /// <summary>The <c>@Term</c> of a block write: the fence's term, NULL when unfenced (typed, so PostgreSQL needs no inference).</summary>
    private static void TermParameter(DbCommand command, long? term)
    {
        var parameter = AddParameter(command, "Term");
        parameter.DbType = System.Data.DbType.Int64;
        parameter.Value = term is { } t ? t : DBNull.Value;
    }

    private static DbParameter AddParameter(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        command.Parameters.Add(parameter);
        return parameter;
    }

#pragma warning disable CA1812, IDE1006 // instantiated by Dapper
    private sealed class BlockRow
    {
        public string Path_Id { get; set; } = "";
        public long Block_Start { get; set; }
        public byte[] Data { get; set; } = [];
    }
#pragma warning restore CA1812, IDE1006
}
