using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Patronus.Engine.Health;

namespace Patronus.Persistence.Tests;

/// <summary>The SQLite file's size: incremental auto-vacuum, space reclaimed after retention, the WAL truncated.</summary>
public sealed partial class SqliteStoreTests
{
    [Fact]
    public async Task MigrateAsync_NewFile_CreatedWithIncrementalAutoVacuum()
    {
        var logger = new FakeLogger<SqliteStore>();
        await using var store = new SqliteStore(Location, Time, logger);

        await store.MigrateAsync();

        await using var connection = await OpenRawAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("PRAGMA auto_vacuum")); // 2 = INCREMENTAL
        // Set before the first table, not by converting the new file with a VACUUM.
        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Information);
    }

    [Fact]
    public async Task DeleteHealthBeforeAsync_ExpiredDayOfSamples_ShrinksFileAndTruncatesWal()
    {
        var store = await StoreWithSamplesAsync();
        store.ReclaimStepPages = 500; // several bounded steps

        var before = await FileStateAsync();
        var deleted = await store.DeleteHealthBeforeAsync(HealthResolution.Raw, Start.AddDays(2));
        var after = await FileStateAsync();

        Assert.Equal(100_000, deleted);
        Assert.True(before.Pages > 1_000, $"{before.Pages} pages before");
        Assert.Equal(0, after.FreePages);
        Assert.True(after.Pages < before.Pages / 20, $"{before.Pages} pages before, {after.Pages} after");
        Assert.True(new FileInfo(File).Length <= after.Pages * after.PageSize, $"file {new FileInfo(File).Length} B");
        Assert.True(before.WalBytes > 1 << 20, $"WAL {before.WalBytes} B before");
        Assert.Equal(0, after.WalBytes);
    }

    [Fact]
    public async Task DeleteHealthBeforeAsync_SmallShareOfSamplesExpired_KeepsFreePagesForReuseAndTruncatesWal()
    {
        var store = await StoreWithSamplesAsync();

        var before = await FileStateAsync();
        Assert.Equal(3_600, await store.DeleteHealthBeforeAsync(HealthResolution.Raw, Start.AddHours(1))); // 3.6 % of the rows
        var after = await FileStateAsync();

        // As at steady state: what a pass frees (under 1/16 of the file), new samples fill again; not worth moving pages for.
        Assert.True(after.FreePages > 0, "the freed pages stay on the freelist");
        Assert.Equal(before.Pages, after.Pages);
        Assert.Equal(0, after.WalBytes);
    }

    [Fact]
    public async Task MigrateAsync_SmallFileWithoutAutoVacuum_ConvertsItOnce()
    {
        await CreateFileWithoutAutoVacuumAsync();
        var logger = new FakeLogger<SqliteStore>();
        await using var store = new SqliteStore(Location, Time, logger);

        await store.MigrateAsync();

        await using var connection = await OpenRawAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("PRAGMA auto_vacuum"));
        Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM legacy"));
        Assert.Equal(8001, Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Information).Id.Id);
    }

    [Fact]
    public async Task MigrateAsync_LargeFileWithoutAutoVacuum_LeavesItAndWarnsHowToConvert()
    {
        await CreateFileWithoutAutoVacuumAsync();
        var logger = new FakeLogger<SqliteStore>();
        await using var store = new SqliteStore(Location, Time, logger) { ConvertMaxBytes = 0 };

        await store.MigrateAsync();

        await using var connection = await OpenRawAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("PRAGMA auto_vacuum"));
        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Information);
        Assert.Equal((8002, LogLevel.Warning), (warning.Id.Id, warning.Level));
        Assert.Contains("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;", warning.Message, StringComparison.Ordinal);
    }

    /// <summary>A store with path p1 and 100,000 of its raw samples, one a second from <see cref="StoreContractTests.Start"/>, inserted in one transaction (so the WAL grows to hold all of it).</summary>
    private async Task<SqliteStore> StoreWithSamplesAsync()
    {
        var store = (SqliteStore)await StoreWithApiPathAsync();
        await using var connection = await OpenRawAsync();
        await connection.ExecuteAsync("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
            INSERT INTO sdwan_path_health (path_id, timestamp, latency_ms, packet_loss_pct, jitter_ms, health_score, status)
            SELECT 'p1', @Start + i * 1000, 20.5 + i % 7, 0, 1.5, 100, 'up' FROM n
            """, new { Start = Start.ToUnixTimeMilliseconds() });
        return store;
    }

    /// <summary>A file as an older release left it: tables created with SQLite's default auto_vacuum=NONE.</summary>
    private async Task CreateFileWithoutAutoVacuumAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        await using var connection = await OpenRawAsync();
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE legacy (x INTEGER); INSERT INTO legacy VALUES (1), (2), (3)");
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("PRAGMA auto_vacuum"));
    }

    private async Task<(long Pages, long FreePages, long PageSize, long WalBytes)> FileStateAsync()
    {
        await using var connection = await OpenRawAsync();
        var wal = new FileInfo(File + "-wal");
        return (await connection.ExecuteScalarAsync<long>("PRAGMA page_count"), await connection.ExecuteScalarAsync<long>("PRAGMA freelist_count"),
            await connection.ExecuteScalarAsync<long>("PRAGMA page_size"), wal.Exists ? wal.Length : 0);
    }
}
