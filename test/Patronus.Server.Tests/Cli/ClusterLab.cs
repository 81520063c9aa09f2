using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using Patronus.Persistence;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// Three real <c>serve</c> processes on one PostgreSQL database, each through its own
/// <see cref="ClusterStoreProxy"/>, behind a real HAProxy run with deploy/haproxy/haproxy.cfg (its
/// addresses and ports replaced by this lab's). Starts, stops, freezes and cuts nodes; reads the
/// lease, the stored samples and HAProxy's view.
/// </summary>
public sealed class ClusterLab : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;
    public const string AdminName = "admin";
    public const string Password = "Lab-Passw0rd-2026";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // One STAMP path to a dead target (Down; a sample every 100 ms, raw samples on: a leader write
    // every flush, 250 ms) and an ICMP path to loopback (Up), one policy from the first to the second:
    // its failover is decided once, at start, so any second event is a duplicate.
    private const string Config = """
        { "Sites": [ { "Id": "s" } ], "Links": [ { "Id": "l", "Site": "s", "SourceAddress": "127.0.0.1" } ],
          "Paths": [ { "Id": "p", "Link": "l", "Targets": [ "127.0.0.1:9" ] }, { "Id": "b", "Link": "l", "Probe": "icmp", "Targets": [ "127.0.0.1" ] } ],
          "FailoverPolicies": [ { "Name": "lab", "Primary": "p", "Backups": [ "b" ] } ] }
        """;

    private readonly TempDir _dir = new();
    private readonly Dictionary<string, ClusterStoreProxy> _proxies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PatronusProcess> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _urls = new(StringComparer.Ordinal);
    private readonly List<string> _previousLogs = [];
    private readonly Dictionary<string, NpgsqlDataSource> _direct = new(StringComparer.Ordinal);
    private Process? _haproxy;
    private string _connectionString = "";
    private string _configFile = "";

    public static IReadOnlyList<string> NodeIds { get; } = ["n1", "n2", "n3"];

    public NpgsqlDataSource Db { get; private set; } = null!;

    /// <summary>HAProxy's frontend, where the clients go.</summary>
    public string FrontendUrl { get; private set; } = "";

    private string StatsUrl { get; set; } = "";

    public string Url(string node) => _urls[node];

    public PatronusProcess Node(string node) => _nodes[node];

    public ClusterStoreProxy Proxy(string node) => _proxies[node];

    /// <summary>HAProxy's log lines of requests that did not end cleanly (a status other than 2xx, or termination flags other than <c>----</c>), and its alerts.</summary>
    public string HaproxyProblems(int lines = 30) => string.Join("\n", HaproxyLog()
        .Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @" 20[01] \d+ - - ---- ") && !l.Contains("/health/ready", StringComparison.Ordinal) &&
            !l.Contains("stats/<STATS>", StringComparison.Ordinal) && !l.StartsWith("[WARNING]", StringComparison.Ordinal) && l.Length > 0)
        .TakeLast(lines));

    /// <summary>
    /// HAProxy's own lines about the <c>controllers</c> servers going UP or DOWN and why, and about
    /// the backend left without a server (its log, without times in the raw format; the same lines
    /// on stderr as [WARNING] are left out).
    /// </summary>
    public string HaproxyServerEvents() => string.Join("\n", HaproxyLog()
        .Where(l => !l.StartsWith("[WARNING]", StringComparison.Ordinal) && !l.StartsWith("[ALERT]", StringComparison.Ordinal) &&
            (l.Contains("Server controllers/", StringComparison.Ordinal) || l.Contains("backend controllers", StringComparison.OrdinalIgnoreCase))));

    private string[] HaproxyLog()
    {
        var file = Path.Combine(_dir.Path, "haproxy.log");
        if (!File.Exists(file))
        {
            return [];
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    /// <summary>Warnings and errors every node has logged so far, the ended processes' included: for a failure's message.</summary>
    public string Problems(int lines = 40) => string.Join("\n", _previousLogs
        .Concat(_nodes.Select(n => $"--- {n.Key} (pid {n.Value.Id}) ---\n{n.Value.Stdout}{n.Value.Stderr}"))
        .SelectMany(l => l.Split('\n'))
        .Where(l => l.StartsWith("---", StringComparison.Ordinal) || l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal) ||
            l.Contains("crit:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal))
        .TakeLast(lines));

    /// <summary>Every node's log lines (the ended processes' included) that contain <paramref name="text"/>.</summary>
    public string Grep(string text) => string.Join("\n", _previousLogs
        .Concat(_nodes.Select(n => $"--- {n.Key} (pid {n.Value.Id}) ---\n{n.Value.Stdout}{n.Value.Stderr}"))
        .SelectMany(l => l.Split('\n'))
        .Where(l => l.StartsWith("---", StringComparison.Ordinal) || l.Contains(text, StringComparison.Ordinal)));

    public static async Task<ClusterLab> StartAsync(StoreLocation location)
    {
        var lab = new ClusterLab();
        try
        {
            await lab.InitializeAsync(location);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(StoreLocation location)
    {
        _connectionString = location.ConnectionString;
        Db = NpgsqlDataSource.Create(_connectionString);
        _configFile = Path.Combine(_dir.Path, "patronus.json");
        await File.WriteAllTextAsync(_configFile, Config);
        var database = new NpgsqlConnectionStringBuilder(_connectionString);
        foreach (var id in NodeIds)
        {
            _proxies[id] = new ClusterStoreProxy(new IPEndPoint(IPAddress.Parse(database.Host!), database.Port));
            _urls[id] = $"http://127.0.0.1:{CliProcessTests.FreePort()}";
            StartNode(id);
        }

        foreach (var id in NodeIds)
        {
            await _nodes[id].WaitReadyAsync(_urls[id]);
            await WaitWarmAsync(id);
        }

        await AddAdminAsync();
        StartHaproxy();
        await Poll.AssertAsync(async () => (await ServerStatesAsync()).Values.All(s => s == "UP"), s_timeout, "HAProxy sees every node UP");
    }

    /// <summary>Starts (or restarts) a node's <c>serve</c>, its store through its own proxy.</summary>
    public void StartNode(string id)
    {
        var viaProxy = new NpgsqlConnectionStringBuilder(_connectionString) { Host = "127.0.0.1", Port = _proxies[id].Port };
        if (_nodes.Remove(id, out var old))
        {
            _previousLogs.Add($"--- {id} (pid {old.Id}, ended) ---\n{old.Stdout}{old.Stderr}");
            old.Dispose();
        }

        _nodes[id] = PatronusProcess.StartWith(new Dictionary<string, string>
        {
            ["PATRONUS__STORE__CONNECTIONSTRING"] = viaProxy.ConnectionString,
            ["PATRONUS__CLUSTER__NODEID"] = id,
            ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
            ["PATRONUS__HEALTH__SAMPLEINTERVAL"] = "00:00:00.100",
            ["PATRONUS__HEALTH__PERSISTENCE__RAWSAMPLES"] = "true",
            ["PATRONUS__LOGGING__LOGLEVEL__PATRONUS.SERVER.API.IDEMPOTENCYMIDDLEWARE"] = "Debug", // what each key went through, for a failure's message
        }, "serve", "--config", _configFile, "--data-dir", Path.Combine(_dir.Path, id), "--urls", _urls[id]);
    }

    /// <summary>The first admin, created straight in the store as an operator would (<c>patronus users add</c>).</summary>
    private async Task AddAdminAsync()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "patronus.dll"), "users", "add", AdminName, "--role", "admin", "--password-stdin", "--data-dir", Path.Combine(_dir.Path, "cli") })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PATRONUS__STORE__CONNECTIONSTRING"] = _connectionString;
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteLineAsync(Password);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"users add: {await stderr}");
    }

    /// <summary>deploy/haproxy/haproxy.cfg with this lab's ports; the per-address rate limit lifted (the lab is one client address at 200 req/s).</summary>
    private void StartHaproxy()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
        {
            dir = dir.Parent;
        }

        var deployed = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Patronus.slnx not found"), "deploy", "haproxy", "haproxy.cfg"));
        var frontend = CliProcessTests.FreePort();
        var stats = CliProcessTests.FreePort();
        var config = deployed
            .Replace("pidfile /run/haproxy-patronus.pid", $"pidfile {Path.Combine(_dir.Path, "haproxy.pid")}", StringComparison.Ordinal)
            .Replace("bind :8080", $"bind 127.0.0.1:{frontend}", StringComparison.Ordinal)
            .Replace("bind 127.0.0.1:8404", $"bind 127.0.0.1:{stats}", StringComparison.Ordinal)
            .Replace("sc_http_req_rate(0) gt 200", "sc_http_req_rate(0) gt 1000000", StringComparison.Ordinal);
        for (var i = 1; i <= NodeIds.Count; i++)
        {
            config = config.Replace($"10.0.0.1{i}:8080", new Uri(_urls[NodeIds[i - 1]]).Authority, StringComparison.Ordinal)
                .Replace($"ctl{i}", NodeIds[i - 1], StringComparison.Ordinal);
        }

        Assert.Contains($"bind 127.0.0.1:{frontend}", config, StringComparison.Ordinal);
        Assert.Contains("server n3 ", config, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.", config, StringComparison.Ordinal);
        Assert.Contains("gt 1000000", config, StringComparison.Ordinal);
        var file = Path.Combine(_dir.Path, "haproxy.cfg");
        File.WriteAllText(file, config);

        // -db: in the foreground, a child of the test, stopped by its PID; its log (stdout) to a file.
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec haproxy -db -f '{file}' > '{Path.Combine(_dir.Path, "haproxy.log")}' 2>&1");
        _haproxy = Process.Start(info)!;
        FrontendUrl = $"http://127.0.0.1:{frontend}";
        StatsUrl = $"http://127.0.0.1:{stats}/stats;csv";
    }

    /// <summary>HAProxy's state of each node (UP, DOWN, "UP 1/2" …), from its stats CSV.</summary>
    public Task<Dictionary<string, string>> ServerStatesAsync() => StatsAsync("status");

    /// <summary>The requests HAProxy retried or redispatched because of <paramref name="node"/> (its <c>wretr</c> + <c>wredis</c>); null when the stats did not answer.</summary>
    public async Task<long?> RetriesAsync(string node)
    {
        var retried = await StatsAsync("wretr");
        var redispatched = await StatsAsync("wredis");
        return long.TryParse(retried[node], CultureInfo.InvariantCulture, out var r) && long.TryParse(redispatched[node], CultureInfo.InvariantCulture, out var d)
            ? r + d
            : null;
    }

    /// <summary>One column of HAProxy's stats CSV for each node of the <c>controllers</c> backend ("unknown" when the stats did not answer).</summary>
    private async Task<Dictionary<string, string>> StatsAsync(string column) =>
        (await HaproxyServersAsync(column)).ToDictionary(r => r.Key, r => r.Value[column], StringComparer.Ordinal);

    /// <summary>The given columns of HAProxy's stats CSV for each node of the <c>controllers</c> backend (each "unknown" when the stats did not answer).</summary>
    public async Task<Dictionary<string, Dictionary<string, string>>> HaproxyServersAsync(params string[] columns)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var lines = (await http.GetStringAsync(StatsUrl)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var header = lines[0].TrimStart('#', ' ').Split(',');
            int Column(string name) => Array.IndexOf(header, name);
            return lines.Skip(1).Select(CsvFields)
                .Where(f => f[Column("pxname")] == "controllers" && NodeIds.Contains(f[Column("svname")]))
                .ToDictionary(f => f[Column("svname")], f => columns.ToDictionary(c => c, c => f[Column(c)], StringComparer.Ordinal), StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return NodeIds.ToDictionary(id => id, _ => columns.ToDictionary(c => c, _ => "unknown", StringComparer.Ordinal), StringComparer.Ordinal);
        }
    }

    /// <summary>One line of HAProxy's stats CSV: a field with a comma in it (a check's text) comes quoted.</summary>
    private static string[] CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }

    /// <summary>
    /// How long <c>SELECT 1</c> takes through the node's relay on a pooled connection of the test's
    /// own (opened once): the store's latency as the node's path sees it, without the node's pool;
    /// null when it failed or took over 4 s.
    /// </summary>
    public async Task<TimeSpan?> DirectStoreLatencyAsync(string node)
    {
        NpgsqlDataSource source;
        lock (_direct)
        {
            if (!_direct.TryGetValue(node, out source!))
            {
                source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_connectionString)
                {
                    Host = "127.0.0.1",
                    Port = _proxies[node].Port,
                    MaxPoolSize = 1,
                    Timeout = 4,
                    CommandTimeout = 4,
                    Pooling = true,
                }.ConnectionString);
                _direct[node] = source;
            }
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            await using var connection = await source.OpenConnectionAsync(cts.Token);
            var took = Stopwatch.StartNew();
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cts.Token));
            return took.Elapsed;
        }
#pragma warning disable CA1031 // a diagnostic: any failure is "no answer"
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>Logs in through HAProxy and returns the access token.</summary>
    public async Task<string> LoginAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(FrontendUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/api/v1/auth/login", new { username = AdminName, password = Password });
        Assert.True(response.IsSuccessStatusCode, $"login: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    /// <summary>The lease as the database sees it now: holder (null when free or expired), term, acquired_at (Unix ms, database clock).</summary>
    public async Task<(string? Holder, long Term, long AcquiredAt)> LeaseAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string?, long, long)>(
            "SELECT CASE WHEN expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint THEN holder END, term, COALESCE(acquired_at, 0) FROM cluster_lease WHERE name = 'leader'");
    }

    /// <summary>Raw samples stored, all or those stamped at or before <paramref name="until"/>.</summary>
    public async Task<long> SamplesAsync(DateTimeOffset? until = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_path_health WHERE timestamp <= @Until",
            new { Until = (until ?? DateTimeOffset.MaxValue.AddDays(-1)).ToUnixTimeMilliseconds() });
    }

    /// <summary>Rows written under <paramref name="term"/> (migration 12): raw samples, status events and failover events.</summary>
    public Task<long> RowsOfTermAsync(long term) => RowsOfTermAsync(Db, term);

    /// <summary>
    /// Rows of <paramref name="db"/> written under <paramref name="term"/>: what a leader of that term
    /// inserted (fencing, docs/ha.md). Not the health blocks: a block records the term of its last
    /// append, which moves on when the next leader appends to it.
    /// </summary>
    public static async Task<long> RowsOfTermAsync(NpgsqlDataSource db, long term)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            SELECT (SELECT COUNT(*) FROM sdwan_path_health WHERE term = @Term) + (SELECT COUNT(*) FROM sdwan_path_events WHERE term = @Term)
                 + (SELECT COUNT(*) FROM sdwan_failover_events WHERE term = @Term)
            """, new { Term = term });
    }

    /// <summary>The longest interval between consecutive stored samples of path <c>p</c> stamped within the window, with where it starts.</summary>
    public async Task<(TimeSpan Gap, DateTimeOffset At)> LongestSampleGapAsync(DateTimeOffset from, DateTimeOffset to)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var stamps = (await connection.QueryAsync<long>("SELECT timestamp FROM sdwan_path_health WHERE path_id = 'p' AND timestamp BETWEEN @From AND @To ORDER BY timestamp",
            new { From = from.ToUnixTimeMilliseconds(), To = to.ToUnixTimeMilliseconds() })).ToList();
        Assert.True(stamps.Count > 1, $"samples between {from:O} and {to:O}: {stamps.Count}");
        var longest = (Gap: stamps[0] - from.ToUnixTimeMilliseconds(), At: from.ToUnixTimeMilliseconds());
        for (var i = 1; i < stamps.Count; i++)
        {
            if (stamps[i] - stamps[i - 1] > longest.Gap)
            {
                longest = (stamps[i] - stamps[i - 1], stamps[i - 1]);
            }
        }

        if (to.ToUnixTimeMilliseconds() - stamps[^1] > longest.Gap)
        {
            longest = (to.ToUnixTimeMilliseconds() - stamps[^1], stamps[^1]);
        }

        return (TimeSpan.FromMilliseconds(longest.Gap), DateTimeOffset.FromUnixTimeMilliseconds(longest.At));
    }

    /// <summary>Stored failover events as "type from→to", oldest first.</summary>
    public async Task<List<string>> FailoverEventsAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<string>(
            "SELECT event_type || ' ' || COALESCE(from_path_id, '-') || '->' || COALESCE(to_path_id, '-') FROM sdwan_failover_events ORDER BY event_id")).ToList();
    }

    public async Task<long> SitesAsync(string prefix)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_sites WHERE site_id LIKE @Prefix", new { Prefix = prefix + "%" });
    }

    /// <summary>A metric of one node straight from its <c>/metrics</c> (not through HAProxy); null when it does not answer.</summary>
    public Task<double?> MetricAsync(string node, string family) => MetricAtAsync(_urls[node], family);

    /// <summary>The value of <paramref name="family"/> in the <c>/metrics</c> of the <c>serve</c> at <paramref name="url"/>; null when it does not answer.</summary>
    public static async Task<double?> MetricAtAsync(string url, string family)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var text = await http.GetStringAsync($"{url}/metrics");
            return PrometheusText.Parse(text).Samples.SingleOrDefault(s => s.Name == family)?.Value;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until the node's engine has decided the lab's policy (its failover-events counter
    /// moved). A node whose process is new decides it once, a second or two after it is ready; a
    /// node that becomes leader before that writes its decision as a new event — a duplicate of
    /// the first leader's (docs/ha.md, what is not done). A rolling restart waits for this before
    /// stopping the next node, so the lab's duplicate check is about takeovers, not about that.
    /// </summary>
    public async Task WaitWarmAsync(string node)
    {
        await Poll.AssertAsync(async () =>
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                var text = await http.GetStringAsync($"{_urls[node]}/metrics");
                return PrometheusText.Parse(text).Samples.Where(s => s.Name == "patronus_failover_events_total").Sum(s => s.Value) >= 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, s_timeout, $"{node} decided its failover policy");
    }

    /// <summary><c>/health/ready</c>'s status on one node, straight; null when it does not answer.</summary>
    public async Task<HttpStatusCode?> ReadyAsync(string node)
    {
        try
        {
            // Longer than the store check's own bound (2 s), so a 503 for a silent store is seen.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
            using var response = await http.GetAsync($"{_urls[node]}/health/ready");
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms";

    public async ValueTask DisposeAsync()
    {
        if (_haproxy is { HasExited: false })
        {
            _haproxy.Kill();
            await _haproxy.WaitForExitAsync();
        }

        _haproxy?.Dispose();
        foreach (var node in _nodes.Values)
        {
            if (!node.HasExited)
            {
                node.Signal(SigCont); // a stopped process handles no signal until continued
            }

            node.Dispose();
        }

        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        foreach (var source in _direct.Values)
        {
            await source.DisposeAsync();
        }

        if (Db is not null)
        {
            await Db.DisposeAsync();
        }

        _dir.Dispose();
    }
}
