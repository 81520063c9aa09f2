using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Persistence;

namespace Patronus.Bench.History;

/// <summary>
/// <c>Patronus.Bench history-budget</c>: fills a real store (SQLite file or PostgreSQL database) with
/// synthetic health history of N paths at the final encoding — 10-second blocks for the 10-second
/// retention, 1-minute blocks for the minute retention, 1-hour blocks for the hour retention, status
/// events — and prints what each table and its indexes take on disk (SQLite: the pages in use,
/// <c>page_count − freelist_count</c>, before and after each table is filled, since this build has no
/// <c>dbstat</c>; PostgreSQL: <c>pg_total_relation_size</c> after <c>VACUUM ANALYZE</c>), per row and per bucket, and that scaled to 10,000 paths.
/// With <c>--append-hours H</c> it first writes H hours of 10-second buckets the way the recorder
/// does (one append per path every 10 s through <see cref="SqlStore.InsertPathHealthBucketsAsync"/>),
/// to show what in-place growth of the blocks costs over bulk-written ones.
/// </summary>
internal static class HistoryBudgetHarness
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        var o = HistoryBudgetOptions.Parse(args);
        Console.WriteLine(string.Create(s_inv, $"# history-budget {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}Z: {o}"));
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var dir = Directory.CreateTempSubdirectory("patronus-history-");
        try
        {
            var locationText = o.Store == "sqlite" ? "sqlite:" + Path.Combine(dir.FullName, "history.db") : o.Store;
            if (!StoreLocation.TryParse(locationText, dir.FullName, out var location, out var error))
            {
                throw new InvalidOperationException(error);
            }

            await using var store = SqlStore.Create(location!, TimeProvider.System);
            await store.MigrateAsync();
            using (var topology = new TopologyService(store))
            {
                var init = await topology.InitializeAsync(Topology(o.Paths));
                if (!init.Succeeded)
                {
                    throw new InvalidOperationException($"topology: {init.Status} {init.Message}");
                }
            }

            var ids = Enumerable.Range(0, o.Paths).Select(PathId).ToArray();
            var wall = Stopwatch.StartNew();
            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            var used = await UsedBytesAsync(location!);
            async Task MeasureAsync(string table)
            {
                var after = await UsedBytesAsync(location!);
                sizes[table] = after - used;
                used = after;
            }

            if (o.AppendHours > 0)
            {
                await AppendAsync(store, location!, ids, now - TimeSpan.FromHours(o.AppendHours), o.AppendHours, o.VacuumEvery);
                await MeasureAsync("sdwan_path_health_10s");
                Console.WriteLine(string.Create(s_inv, $"appended {o.AppendHours} h of 10-second buckets for {o.Paths} paths as the recorder does in {wall.Elapsed.TotalSeconds:0.0} s"));
                await ReportAsync(location!, o, appendOnly: true, sizes);
                // The rollup pass: catching up on the whole span, then one steady-state pass (one more minute).
                var rollup = Stopwatch.StartNew();
                var minutes = await store.RollupAsync(HealthResolution.Minute, now);
                var hours = await store.RollupAsync(HealthResolution.Hour, now);
                Console.WriteLine(string.Create(s_inv, $"catch-up rollup: {minutes} minute and {hours} hour buckets in {rollup.Elapsed.TotalSeconds:0.00} s"));
                await AppendAsync(store, location!, ids, now, 0, 0, steps: 6);
                rollup.Restart();
                minutes = await store.RollupAsync(HealthResolution.Minute, now.AddMinutes(1));
                Console.WriteLine(string.Create(s_inv, $"steady minute rollup pass: {minutes} minute buckets (the last minute of the previous pass again, and the new one) in {rollup.Elapsed.TotalMilliseconds:0} ms"));
                return 0;
            }

            await FillAsync(store, ids, HealthResolution.TenSeconds, now - o.TenSecondSpan, now);
            await MeasureAsync("sdwan_path_health_10s");
            await FillAsync(store, ids, HealthResolution.Minute, now - o.MinuteSpan, now);
            await MeasureAsync("sdwan_path_health_1m_blocks");
            await FillAsync(store, ids, HealthResolution.Hour, now - o.HourSpan, now);
            await MeasureAsync("sdwan_path_health_1h_blocks");
            await FillEventsAsync(store, ids, now, o);
            await MeasureAsync("sdwan_path_events");
            Console.WriteLine(string.Create(s_inv, $"filled in {wall.Elapsed.TotalSeconds:0.0} s"));
            await ReportAsync(location!, o, appendOnly: false, sizes);
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string PathId(int i) => string.Create(s_inv, $"edge{i:D5}-wan1-dc-east"); // 21 characters: a typical generated id

    private static TopologySnapshot Topology(int paths)
    {
        var site = new Site("bench", "Benchmark site", null, ItemSource.Config);
        var link = new WanLink("wan1", site.Id, "wan1", null, "192.0.2.10", null, WanLink.DefaultCost, ItemSource.Config);
        return new TopologySnapshot([site], [link],
            Enumerable.Range(0, paths).Select(i => new PathDefinition(PathId(i), "bench path", link.Id, null, ["198.51.100.1"], ItemSource.Config)).ToArray());
    }

    /// <summary>
    /// One path's synthetic bucket: a base RTT of 2–150 ms per path, noise of 0.1–5 ms per path,
    /// min/max/p95 spread that grows with the bucket, loss in 2 % of buckets, Down in 0.2 %.
    /// </summary>
    private static PathHealthBucket Synthetic(string pathId, int pathIndex, DateTimeOffset start, HealthResolution resolution, Random random)
    {
        var baseRtt = 2 + (pathIndex * 7919 % 148);
        var noise = 0.1 + (pathIndex * 104729 % 49) / 10.0;
        var samples = (int)(resolution.BucketSize().TotalSeconds); // one sample a second
        var spread = noise * Math.Log2(samples + 1);
        var avg = baseRtt + (random.NextDouble() - 0.5) * noise;
        var min = avg - random.NextDouble() * spread;
        var max = avg + random.NextDouble() * spread * 2;
        var p95 = avg + (max - avg) * 0.7;
        var lossy = random.Next(50) == 0;
        var down = random.Next(500) == 0;
        var loss = lossy ? Math.Round(random.NextDouble() * 10, 3) : 0;
        var score = down ? 20 + random.NextDouble() * 30 : lossy ? 60 + random.NextDouble() * 39 : 100;
        var up = down ? random.Next(samples) : samples;
        return new PathHealthBucket(pathId, start, resolution, samples, avg, min, max, p95, loss, noise * (0.5 + random.NextDouble()), score, Math.Min(score, down ? 0 : score - (lossy ? 5 : 0)), up);
    }

    private static async Task FillAsync(SqlStore store, string[] ids, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until)
    {
        var blockMs = HealthBlockCodec.BlockMs(resolution);
        var bucketMs = HealthBlockCodec.BucketMs(resolution);
        var random = new Random(42);
        var batch = new List<(string, long, byte[])>();
        for (var block = HealthBlockCodec.Floor(from.ToUnixTimeMilliseconds(), blockMs); block < until.ToUnixTimeMilliseconds(); block += blockMs)
        {
            for (var p = 0; p < ids.Length; p++)
            {
                var buckets = new List<PathHealthBucket>((int)(blockMs / bucketMs));
                for (var t = block; t < block + blockMs; t += bucketMs)
                {
                    buckets.Add(Synthetic(ids[p], p, DateTimeOffset.FromUnixTimeMilliseconds(t), resolution, random));
                }

                batch.Add((ids[p], block, HealthBlockCodec.Encode(buckets, block)));
                if (batch.Count == 5_000)
                {
                    await store.WriteBlocksAsync(resolution, batch);
                    batch.Clear();
                }
            }
        }

        await store.WriteBlocksAsync(resolution, batch);
    }

    private static async Task AppendAsync(SqlStore store, StoreLocation location, string[] ids, DateTimeOffset from, int hours, int vacuumEvery, int steps = 0)
    {
        var random = new Random(42);
        var batch = new List<PathHealthBucket>(ids.Length);
        var step = 0;
        var end = steps > 0 ? from + TimeSpan.FromSeconds(10 * steps) : from + TimeSpan.FromHours(hours);
        for (var t = from; t < end; t += TimeSpan.FromSeconds(10))
        {
            // PostgreSQL: the harness runs in minutes what takes hours, faster than autovacuum wakes
            // (once a minute): vacuum every N steps of 10 s instead (6 = once per simulated minute).
            if (vacuumEvery > 0 && location.Provider == StoreProvider.Postgres && ++step % vacuumEvery == 0)
            {
                await using var connection = new NpgsqlConnection(location.ConnectionString);
                await connection.OpenAsync();
                await using var vacuum = connection.CreateCommand();
                vacuum.CommandText = "VACUUM sdwan_path_health_10s";
                await vacuum.ExecuteNonQueryAsync();
            }

            batch.Clear();
            for (var p = 0; p < ids.Length; p++)
            {
                batch.Add(Synthetic(ids[p], p, t, HealthResolution.TenSeconds, random));
            }

            var result = await store.InsertPathHealthBucketsAsync(batch);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(result.Message);
            }
        }
    }

    private static async Task FillEventsAsync(SqlStore store, string[] ids, DateTimeOffset now, HistoryBudgetOptions o)
    {
        var random = new Random(7);
        var total = (long)(ids.Length * o.EventsPerPathDay * o.EventSpan.TotalDays);
        var batch = new List<PathStatusEvent>(10_000);
        for (long i = 0; i < total; i++)
        {
            var at = now - TimeSpan.FromMilliseconds(random.NextInt64((long)o.EventSpan.TotalMilliseconds));
            var down = i % 2 == 0;
            batch.Add(new PathStatusEvent(ids[i % ids.Length], at, down ? PathStatus.Up : PathStatus.Down, down ? PathStatus.Down : PathStatus.Up,
                down ? 12.5 : 100, 25.125, down ? 100 : 0, 1.5, down ? "loss 100.0 % > 5 %" : "within thresholds"));
            if (batch.Count == batch.Capacity)
            {
                await store.InsertPathEventsAsync(batch);
                batch.Clear();
            }
        }

        await store.InsertPathEventsAsync(batch);
    }

    private static async Task ReportAsync(StoreLocation location, HistoryBudgetOptions o, bool appendOnly, Dictionary<string, long> sqliteSizes)
    {
        (string Table, HealthResolution? Level, TimeSpan Span, TimeSpan DefaultSpan)[] tiers = appendOnly
            ? [("sdwan_path_health_10s", HealthResolution.TenSeconds, TimeSpan.FromHours(o.AppendHours), TimeSpan.FromHours(24))]
            :
            [
                ("sdwan_path_health_10s", HealthResolution.TenSeconds, o.TenSecondSpan, TimeSpan.FromHours(24)),
                ("sdwan_path_health_1m_blocks", HealthResolution.Minute, o.MinuteSpan, TimeSpan.FromDays(7)),
                ("sdwan_path_health_1h_blocks", HealthResolution.Hour, o.HourSpan, TimeSpan.FromDays(400)),
                ("sdwan_path_events", null, o.EventSpan, TimeSpan.FromDays(30)),
            ];
        var sizes = location.Provider == StoreProvider.Sqlite ? sqliteSizes : await PostgresTableSizesAsync(location);
        Console.WriteLine();
        Console.WriteLine($"{"table",-30} {"rows",12} {"buckets",14} {"data B",14} {"on disk B",14} {"B/row",8} {"B/bucket",9} {"×10k paths, default retention",30}");
        double total = 0;
        foreach (var (table, level, span, defaultSpan) in tiers)
        {
            var (rows, buckets, data) = await CountAsync(location, table, level);
            var disk = sizes.TryGetValue(table, out var d) ? d : 0;
            // Scale: rows grow with paths and with the span kept; the fill used `span`, the default keeps `defaultSpan`.
            var scaled = disk * (10_000.0 / o.Paths) * (defaultSpan / span);
            total += scaled;
            Console.WriteLine(string.Create(s_inv,
                $"{table,-30} {rows,12:N0} {buckets,14:N0} {data,14:N0} {disk,14:N0} {(rows == 0 ? 0 : disk / (double)rows),8:0.0} {(buckets == 0 ? 0 : disk / (double)buckets),9:0.00} {scaled / 1e9,26:0.00} GB"));
        }

        Console.WriteLine(string.Create(s_inv, $"{"total (history tables, indexes included)",-96} {total / 1e9,26:0.00} GB"));
        if (location.Provider == StoreProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(location.ConnectionString).DataSource;
            Console.WriteLine(string.Create(s_inv, $"file {new FileInfo(file).Length:N0} B, WAL {(File.Exists(file + "-wal") ? new FileInfo(file + "-wal").Length : 0):N0} B"));
        }
    }

    /// <summary>SQLite: bytes of the pages in use (page_count − freelist_count) × page_size; PostgreSQL: 0 (sizes come from pg_total_relation_size).</summary>
    private static async Task<long> UsedBytesAsync(StoreLocation location)
    {
        if (location.Provider != StoreProvider.Sqlite)
        {
            return 0;
        }

        await using var connection = new SqliteConnection(location.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetInt64(0) * reader.GetInt64(1);
    }

    private static async Task<Dictionary<string, long>> PostgresTableSizesAsync(StoreLocation location)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(location.ConnectionString);
        await connection.OpenAsync();
        await using (var vacuum = connection.CreateCommand())
        {
            vacuum.CommandText = "VACUUM ANALYZE";
            await vacuum.ExecuteNonQueryAsync();
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'sdwan_path_%'";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sizes[reader.GetString(0)] = reader.GetInt64(1);
        }

        return sizes;
    }

    private static async Task<(long Rows, long Buckets, long Data)> CountAsync(StoreLocation location, string table, HealthResolution? level)
    {
        await using var connection = location.Provider == StoreProvider.Sqlite
            ? (System.Data.Common.DbConnection)new SqliteConnection(location.ConnectionString)
            : new NpgsqlConnection(location.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = level is null ? $"SELECT COUNT(*), 0 FROM {table}" : $"SELECT COUNT(*), COALESCE(SUM(length(data)), 0) FROM {table}";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var rows = reader.GetInt64(0);
        var data = reader.GetInt64(1);
        if (level is null)
        {
            return (rows, rows, 0);
        }

        // Buckets: decode every block (exact, and checks the data reads back).
        await reader.CloseAsync();
        command.CommandText = $"SELECT path_id, block_start, data FROM {table}";
        long buckets = 0;
        await using var blocks = await command.ExecuteReaderAsync();
        while (await blocks.ReadAsync())
        {
            buckets += HealthBlockCodec.Read((byte[])blocks.GetValue(2), blocks.GetString(0), level.Value, blocks.GetInt64(1)).Count;
        }

        return (rows, buckets, data);
    }
}

/// <summary>Options of <see cref="HistoryBudgetHarness"/>.</summary>
internal sealed record HistoryBudgetOptions(string Store, int Paths, TimeSpan TenSecondSpan, TimeSpan MinuteSpan, TimeSpan HourSpan, double EventsPerPathDay, TimeSpan EventSpan, int AppendHours,
    int VacuumEvery = 0)
{
    public static HistoryBudgetOptions Parse(string[] args)
    {
        var o = new HistoryBudgetOptions("sqlite", 1_000, TimeSpan.FromHours(24), TimeSpan.FromDays(7), TimeSpan.FromDays(400), 10, TimeSpan.FromDays(30), 0);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--store" => o with { Store = v },
                "--paths" => o with { Paths = int.Parse(v, CultureInfo.InvariantCulture) },
                "--hours-10s" => o with { TenSecondSpan = TimeSpan.FromHours(double.Parse(v, CultureInfo.InvariantCulture)) },
                "--days-1m" => o with { MinuteSpan = TimeSpan.FromDays(double.Parse(v, CultureInfo.InvariantCulture)) },
                "--days-1h" => o with { HourSpan = TimeSpan.FromDays(double.Parse(v, CultureInfo.InvariantCulture)) },
                "--events-per-path-day" => o with { EventsPerPathDay = double.Parse(v, CultureInfo.InvariantCulture) },
                "--days-events" => o with { EventSpan = TimeSpan.FromDays(double.Parse(v, CultureInfo.InvariantCulture)) },
                "--append-hours" => o with { AppendHours = int.Parse(v, CultureInfo.InvariantCulture) },
                "--vacuum-every" => o with { VacuumEvery = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }
}
