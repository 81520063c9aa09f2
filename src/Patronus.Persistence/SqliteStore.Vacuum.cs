using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Patronus.Persistence;

/// <summary>
/// The file's size. SQLite never shrinks a file by itself: a delete only puts pages on the freelist.
/// With <c>auto_vacuum=INCREMENTAL</c> the freed pages can be cut off the end of the file on demand,
/// which this store does after every retention delete that leaves at least 1/16 of the file free,
/// a bounded number of pages per statement, and then truncates the WAL (which otherwise stays at its high-water mark).
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>
    /// Pages freed per <c>PRAGMA incremental_vacuum</c> statement (each its own write transaction).
    /// 2,048 pages are 8 MiB of 4 KiB pages; 4,096 took up to 80 ms on the dev box, so a step holds
    /// the single writer ~40 ms, no longer than a retention chunk (<see cref="SqlStore.RetentionChunkRows"/>),
    /// and the health recorder's 1 s batches barely wait behind one. Settable for tests.
    /// </summary>
    internal int ReclaimStepPages { get; set; } = 2_048;

    /// <summary>The freelist is given back once it is at least 1/16 of the file's pages (6.25 %), see <see cref="ReclaimSpaceAsync"/>.</summary>
    internal const int ReclaimMinFreeFraction = 16;

    /// <summary>
    /// The largest file (bytes) that is converted from <c>auto_vacuum=NONE</c> with a full
    /// <c>VACUUM</c> at start: the VACUUM rewrites the whole file (and needs as much again in
    /// temporary space) while the store is not yet ready — 44 MB took 0.38 s on the dev box, so
    /// 256 MiB costs ~2 s of start-up once. A larger file (tens of GB of history take minutes) is
    /// left alone with a warning saying how to convert it offline. Settable for tests.
    /// </summary>
    internal long ConvertMaxBytes { get; set; } = 256L << 20;

    private protected override async Task ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var started = TimeProvider.GetTimestamp();
        var free = await PragmaAsync(connection, "freelist_count", cancellationToken).ConfigureAwait(false);
        var pages = await PragmaAsync(connection, "page_count", cancellationToken).ConfigureAwait(false);
        var freed = 0L;

        // Hysteresis: at steady state each pass frees about what the next minute's samples fill again
        // (1/1440 of a day of raw samples); moving those pages to the end and back would cost a few
        // hundred ms a minute at 10,000 paths for no lasting gain. Only a freelist of at least
        // 1/ReclaimMinFreeFraction of the file (retention shortened, paths removed) is given back, all of it,
        // so the file stays within about that fraction of what its rows need.
        var reclaim = free > 0 && free * ReclaimMinFreeFraction >= pages;
        while (reclaim && free > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition($"PRAGMA incremental_vacuum({ReclaimStepPages})", cancellationToken: cancellationToken)).ConfigureAwait(false);
            var left = await PragmaAsync(connection, "freelist_count", cancellationToken).ConfigureAwait(false);
            if (left >= free)
            {
                // No progress: auto_vacuum is NONE (a file not yet converted), where the pragma does nothing.
                break;
            }

            freed += free - left;
            free = left;
        }

        // TRUNCATE never waits here (the connection has no busy handler): with a reader still on the
        // WAL it checkpoints what it can, reports busy, and the next retention pass tries again.
        var checkpoint = await connection.QuerySingleAsync<(long Busy, long Log, long Checkpointed)>(new CommandDefinition(
            "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var elapsedMs = TimeProvider.GetElapsedTime(started).TotalMilliseconds;
        Log.Reclaimed(_logger, freed, free, checkpoint.Busy == 0, elapsedMs);
    }

    private protected override async Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (await PragmaAsync(connection, "auto_vacuum", cancellationToken).ConfigureAwait(false) != 0)
        {
            return;
        }

        // A file created before incremental auto-vacuum: switching needs a full VACUUM.
        var bytes = await PragmaAsync(connection, "page_count", cancellationToken).ConfigureAwait(false)
            * await PragmaAsync(connection, "page_size", cancellationToken).ConfigureAwait(false);
        if (bytes > ConvertMaxBytes)
        {
            Log.NotConverted(_logger, _file, bytes >> 20);
            return;
        }

        var started = TimeProvider.GetTimestamp();
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA auto_vacuum=INCREMENTAL", cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("VACUUM", cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var elapsedMs = TimeProvider.GetElapsedTime(started).TotalMilliseconds;
        Log.Converted(_logger, _file, bytes >> 20, elapsedMs);
    }

    private static async Task<long> PragmaAsync(DbConnection connection, string pragma, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition($"PRAGMA {pragma}", cancellationToken: cancellationToken)).ConfigureAwait(false);

    // EventIds 8000–8009: the SQLite file's size.
    private static partial class Log
    {
        [LoggerMessage(EventId = 8000, Level = LogLevel.Debug, Message = "SQLite reclaim: {Freed} free pages returned to the file system, {Left} left; WAL truncated: {Truncated} ({ElapsedMs} ms)")]
        public static partial void Reclaimed(ILogger logger, long freed, long left, bool truncated, double elapsedMs);

        [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "SQLite file {File} ({SizeMiB} MiB) converted to incremental auto-vacuum in {ElapsedMs} ms; it now shrinks as history expires")]
        public static partial void Converted(ILogger logger, string file, long sizeMiB, double elapsedMs);

        [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "SQLite file {File} ({SizeMiB} MiB) predates incremental auto-vacuum and is too large to convert at start: it reuses freed pages but never shrinks. To convert it, stop patronus and run: sqlite3 {File} 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;' (see docs/storage.md)")]
        public static partial void NotConverted(ILogger logger, string file, long sizeMiB);
    }
}
