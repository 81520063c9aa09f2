using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Observability;

/// <summary>
/// The monitoring files of <c>deploy/</c>, checked by the real tools (promtool, amtool) and against
/// the metric families Patronus exports: an alert or a panel on a name that is never exported
/// stays silent or empty forever, and nothing else would notice.
/// </summary>
public sealed partial class DeployConfigTests
{
    /// <summary>
    /// The series names Patronus exports at /metrics, copied from the exporter's contract
    /// (handoff/metric-names.md), plus Prometheus' own <c>up</c>. Histograms are listed by their
    /// series (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>): the bare family name is no series.
    /// </summary>
    private static readonly string[] s_families =
    [
        // paths
        "patronus_path_latency_ms", "patronus_path_packet_loss", "patronus_path_jitter_ms",
        "patronus_path_health_score", "patronus_path_status", "patronus_sites", "patronus_links", "patronus_paths",
        // policies / failover
        "patronus_policy_bytes_total", "patronus_policy_packets_total", "patronus_policy_active_path",
        "patronus_failover_events_total",
        // BFD
        "patronus_bfd_session_state", "patronus_bfd_session_transmit_interval_seconds",
        "patronus_bfd_session_detection_time_seconds", "patronus_bfd_packets_received_total",
        "patronus_bfd_packets_sent_total", "patronus_bfd_send_failed_total", "patronus_bfd_packets_dropped_total",
        "patronus_bfd_state_changes_total", "patronus_bfd_session_peer_admin_down",
        // probes
        "patronus_probe_sent_total", "patronus_probe_send_failed_total", "patronus_probe_replies_total",
        "patronus_probe_dropped_total", "patronus_reflector_reflected_total",
        // HTTP / auth / store / websocket
        "patronus_http_requests_total", "patronus_auth_failures_total", "patronus_store_errors_total",
        "patronus_websocket_connections",
        // tunnels (docs/tunnels.md)
        "patronus_tunnel_passive_loss_percent",
        // traffic classes (docs/tunnels.md, "Traffic classes")
        "patronus_class_path_active", "patronus_class_sla_max_loss_percent", "patronus_class_duplication_active",
        // controller cluster (docs/ha.md)
        "cluster_nodes_total", "cluster_nodes_healthy", "cluster_is_leader", "cluster_current_term",
        "cluster_elections_total", "cluster_heartbeats_sent_total", "cluster_heartbeats_received_total",
        "cluster_state_replications_total", "cluster_failovers_total", "cluster_fenced_writes_total",
        "cluster_state_size_bytes",
        // engine loops / process / runtime
        "patronus_loop_last_tick_age_seconds", "patronus_build_info", "patronus_uptime_seconds",
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
        "process_start_time_seconds", "process_open_fds",
        "dotnet_gc_collections_total", "dotnet_gc_heap_size_bytes", "dotnet_gc_allocated_bytes_total",
        "dotnet_threadpool_threads",
        "dotnet_gc_pause_seconds_total",
        // added by Prometheus per target
        "up",
    ];

    private static readonly string[] s_histograms =
    [
        "patronus_failover_decision_duration_seconds",
        "patronus_failover_route_table_swap_duration_seconds",
        "patronus_http_request_duration_seconds",
        "patronus_store_query_duration_seconds",
    ];

    private static readonly HashSet<string> s_exportedSeries =
    [
        .. s_families,
        .. s_histograms.SelectMany(h => new[] { h + "_bucket", h + "_sum", h + "_count" }),
    ];

    private static readonly string s_repoRoot = DeployMetricReferences.FindRepoRoot();

    private static string PrometheusDir => Path.Combine(s_repoRoot, "deploy", "prometheus");

    private static string AlertmanagerDir => Path.Combine(s_repoRoot, "deploy", "alertmanager");

    [Fact]
    public async Task PromtoolCheckRules_Alerts_Valid()
    {
        var (code, output) = await RunToolAsync("promtool", PrometheusDir, "check", "rules", "alerts.yml");

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task PromtoolTestRules_AlertUnitTests_Pass()
    {
        var (code, output) = await RunToolAsync("promtool", PrometheusDir, "test", "rules", "alerts_test.yml");

        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolCheckConfig_PrometheusYml_ValidWithItsRules()
    {
        var (code, output) = await RunToolAsync("promtool", PrometheusDir, "check", "config", "prometheus.yml");

        Assert.True(code == 0, output);
        Assert.Contains("1 rule files found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AmtoolCheckConfig_AlertmanagerYml_Valid()
    {
        var (code, output) = await RunToolAsync("amtool", AlertmanagerDir, "check-config", "alertmanager.yml");

        Assert.True(code == 0, output);
    }

    [Theory]
    [InlineData("critical", "patronus-critical")]
    [InlineData("warning", "patronus-warning")]
    public async Task AmtoolRoutes_Severity_ReachesItsReceiver(string severity, string receiver)
    {
        var (code, output) = await RunToolAsync("amtool", AlertmanagerDir,
            "config", "routes", "test", "--config.file=alertmanager.yml", $"--verify.receivers={receiver}",
            $"severity={severity}", "alertname=PatronusPathDown", "path_id=p1");

        Assert.True(code == 0, output);
    }

    /// <summary>
    /// amtool checks the syntax of the inhibit rules, not what they do: a real Alertmanager with
    /// the file, fed alerts over its API, shows which ones it suppresses.
    /// </summary>
    [Fact]
    public async Task Alertmanager_InstanceDownAndPathDown_InhibitTheirDependents()
    {
        var binary = FindOnPath("prometheus-alertmanager") ?? FindOnPath("alertmanager") ?? FailMissing("prometheus-alertmanager");
        using var dir = new TempDir();
        var port = FreePort();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AlertmanagerDir,
        };
        foreach (var a in new[] { "--config.file=alertmanager.yml", $"--storage.path={dir.Path}", $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=" })
        {
            info.ArgumentList.Add(a);
        }

        var log = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await PollAsync(async () =>
            {
                try
                {
                    using var ready = await http.GetAsync("/-/ready");
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, () => "Alertmanager not ready\n" + Locked(log), process);

            string[][] alerts =
            [
                ["PatronusInstanceDown", "edge1:8080", "", "critical"],
                ["PatronusPathDown", "edge1:8080", "p1", "critical"],        // its instance is down
                ["PatronusPathDown", "edge2:8080", "p2", "critical"],
                ["PatronusPathHighLoss", "edge2:8080", "p2", "warning"],     // its path is down
                ["PatronusBfdSessionDown", "edge2:8080", "p2", "critical"],  // its path is down
                ["PatronusPathHighLoss", "edge2:8080", "p3", "warning"],
                ["PatronusFailoverTriggered", "edge2:8080", "", "warning"],
            ];
            var body = JsonSerializer.Serialize(alerts.Select(a => new
            {
                labels = new Dictionary<string, string> { ["alertname"] = a[0], ["instance"] = a[1], ["job"] = "patronus", ["severity"] = a[3] }
                    .Concat(a[2].Length > 0 ? [new KeyValuePair<string, string>("path_id", a[2])] : [])
                    .ToDictionary(),
            }));
            using (var content = new StringContent(body, Encoding.UTF8, "application/json"))
            using (var posted = await http.PostAsync("/api/v2/alerts", content))
            {
                Assert.True(posted.IsSuccessStatusCode, $"{posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
            }

            string[] expected =
            [
                "PatronusBfdSessionDown edge2:8080 p2 suppressed",
                "PatronusFailoverTriggered edge2:8080 - active",
                "PatronusInstanceDown edge1:8080 - active",
                "PatronusPathDown edge1:8080 p1 suppressed",
                "PatronusPathDown edge2:8080 p2 active",
                "PatronusPathHighLoss edge2:8080 p2 suppressed",
                "PatronusPathHighLoss edge2:8080 p3 active",
            ];
            var states = Array.Empty<string>();
            await PollAsync(async () =>
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v2/alerts"));
                states = [.. document.RootElement.EnumerateArray().Select(a =>
                {
                    var labels = a.GetProperty("labels");
                    var pathId = labels.TryGetProperty("path_id", out var p) ? p.GetString() : "-";
                    return $"{labels.GetProperty("alertname").GetString()} {labels.GetProperty("instance").GetString()} {pathId} {a.GetProperty("status").GetProperty("state").GetString()}";
                }).Order(StringComparer.Ordinal)];
                return states.SequenceEqual(expected);
            }, () => "got:\n" + string.Join("\n", states) + "\n" + Locked(log), process);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>promtool has no offline query parser, but it parses rule files: every dashboard query
    /// becomes a recording rule, with Grafana's variables replaced by values of the right kind.</summary>
    [Fact]
    public async Task DashboardExpressions_ParseAsPromQL()
    {
        var expressions = Directory.GetFiles(Path.Combine(s_repoRoot, "deploy", "grafana", "dashboards"), "*.json")
            .SelectMany(f => DeployMetricReferences.DashboardExpressions(f)
                .Concat(DeployMetricReferences.DashboardVariableSelectors(f)))
            .ToList();
        Assert.NotEmpty(expressions);

        var rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            var expr = DeployMetricReferences.SubstituteGrafanaVariables(expressions[i]);
            rules.Append("      - record: dashboard_expr_").Append(i).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(expr)).Append('\n');
        }

        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "dashboards.yml"), rules.ToString());

        var (code, output) = await RunToolAsync("promtool", dir.Path, "check", "rules", "dashboards.yml");

        Assert.True(code == 0, output + "\n" + rules);
    }

    [Fact]
    public void ReferencedMetricNames_AlertsAndDashboards_AreExportedByPatronus()
    {
        var names = DeployMetricReferences.ReferencedMetricNames(s_repoRoot);

        // The extractor found the files and their expressions at all.
        Assert.Contains("up", names);
        Assert.Contains("patronus_path_status", names);
        Assert.Contains("patronus_path_health_score", names);
        Assert.Contains("patronus_http_request_duration_seconds_bucket", names);
        Assert.Contains("patronus_bfd_session_state", names);

        var unknown = names.Where(n => !s_exportedSeries.Contains(n)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, "not exported by Patronus (handoff/metric-names.md): " + string.Join(", ", unknown));
    }

    [Fact]
    public void AlertRuleExpressions_OnePerRule()
    {
        var alerts = Path.Combine(PrometheusDir, "alerts.yml");
        var rules = File.ReadAllLines(alerts).Count(l => RuleKeyRegex().IsMatch(l));

        var expressions = DeployMetricReferences.AlertRuleExpressions(alerts);

        Assert.True(rules > 10, $"{rules} rules");
        Assert.Equal(rules, expressions.Count);
        Assert.All(expressions, e => Assert.False(string.IsNullOrWhiteSpace(e)));
    }

    /// <summary>Every alert has a unit test in which it fires and one in which it must stay silent.</summary>
    [Fact]
    public void AlertUnitTests_EveryAlert_HasFiringAndSilentCase()
    {
        var alertNames = File.ReadAllLines(Path.Combine(PrometheusDir, "alerts.yml"))
            .Select(l => AlertNameRegex().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        var lines = File.ReadAllLines(Path.Combine(PrometheusDir, "alerts_test.yml"));
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var silent = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var name = TestAlertNameRegex().Match(lines[i]);
            if (!name.Success)
            {
                continue;
            }

            var expected = lines.Skip(i + 1).FirstOrDefault(l => l.TrimStart().StartsWith("exp_alerts:", StringComparison.Ordinal))?.Trim();
            (expected == "exp_alerts: []" ? silent : firing).Add(name.Groups[1].Value);
        }

        Assert.NotEmpty(alertNames);
        Assert.All(alertNames, a =>
        {
            Assert.True(firing.Contains(a), $"{a}: no test case in which it fires");
            Assert.True(silent.Contains(a), $"{a}: no test case in which it must not fire");
        });
    }

    /// <summary>Issue 18: the seed's cluster alerts under exactly its names (its dashboards and silences work unchanged).</summary>
    [Fact]
    public void AlertNames_SeedClusterAlerts_HaveTheSeedsNames()
    {
        var alertNames = File.ReadAllLines(Path.Combine(PrometheusDir, "alerts.yml"))
            .Select(l => AlertNameRegex().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

        Assert.Contains("ClusterNoLeader", alertNames);
        Assert.Contains("ClusterUnhealthy", alertNames);
        Assert.Contains("HighFailoverRate", alertNames);
        Assert.DoesNotContain(alertNames, a => a.StartsWith("PatronusCluster", StringComparison.Ordinal));
    }

    [Theory]
    // label values may hold braces, brackets and words
    [InlineData("""sum by (route, le) (rate(patronus_http_request_duration_seconds_bucket{route="/api/v1/paths/{id}", status=~"5.."}[5m]))""",
        "patronus_http_request_duration_seconds_bucket")]
    [InlineData("""histogram_quantile(0.99, sum without (instance) (rate(a_bucket{job="x"}[$__rate_interval])))""", "a_bucket")]
    [InlineData("""up{job="patronus"} == 0 unless on (instance, job) patronus_build_info offset 5m""", "up patronus_build_info")]
    [InlineData("""count(up == bool 0) or vector(0)""", "up")]
    [InlineData("""a_total / ignoring (type) group_left (name, policy_id) b_info""", "a_total b_info")]
    [InlineData("""{__name__="patronus_uptime_seconds", job="x"} > 1e3""", "patronus_uptime_seconds")]
    [InlineData("""{__name__=~"patronus_.*"}""", "")]
    [InlineData("""label_replace(patronus_path_status, "dst", "$1 by on", "src", "(.*)")""", "patronus_path_status")]
    [InlineData("""sum(rate(x_total{a="b\"}\" c", d='e}'}[5m:30s] offset -1h @ end()))""", "x_total")]
    [InlineData("""0x1F * max_over_time(patronus_path_latency_ms[1h]) # sum(not_a_metric)""", "patronus_path_latency_ms")]
    [InlineData("""topk(5, sum by(path_id)(patronus_path_status{instance=~"$instance", path_id=~"${path_id}"}))""", "patronus_path_status")]
    [InlineData("""time() - process_start_time_seconds > Inf or NaN < job:rule:ratio""", "process_start_time_seconds job:rule:ratio")]
    [InlineData("sum\n  by (le) (\n    rate(h_bucket[10m])\n  )", "h_bucket")]
    public void MetricNames_TrickyExpression_FindsExactlyTheSeries(string expression, string expected)
    {
        var names = DeployMetricReferences.MetricNames(expression).Order(StringComparer.Ordinal);

        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void AlertRuleExpressions_BlockAndInlineScalars()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "rules.yml");
        File.WriteAllText(file, """
            groups:
              - name: g
                rules:
                  - alert: Block
                    expr: |
                      a_total
                      > 0
                    for: 1m
                  - alert: Plain
                    expr: b_gauge > 1 # comment
                  - alert: Double
                    expr: "c_gauge{x=\"y\"} > 2"
                  - record: r:sum
                    expr: 'sum(d_gauge{x=''y''})'
                  - expr: e_gauge
                    alert: KeyOrder
            """);

        var expressions = DeployMetricReferences.AlertRuleExpressions(file);

        Assert.Equal(["a_total\n> 0\n", "b_gauge > 1", "c_gauge{x=\"y\"} > 2", "sum(d_gauge{x='y'})", "e_gauge"], expressions);
    }

    [GeneratedRegex(@"^\s*-?\s*(alert|record):\s*\S")]
    private static partial Regex RuleKeyRegex();

    [GeneratedRegex(@"^\s*-?\s*alert:\s*(\S+)")]
    private static partial Regex AlertNameRegex();

    [GeneratedRegex(@"^\s*alertname:\s*(\S+)")]
    private static partial Regex TestAlertNameRegex();

    private static async Task PollAsync(Func<Task<bool>> condition, Func<string> failure, Process process)
    {
        var met = await Poll.UntilAsync(async () => process.HasExited || await condition(), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
        Assert.False(process.HasExited, "exited: " + failure());
        Assert.True(met, failure());
    }

    private static string Locked(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DoesNotReturn]
    private static string FailMissing(string package)
    {
        Assert.Fail($"{package} is not installed (not found on PATH). ./test.sh installs it when run as root " +
            "(apt packages prometheus and prometheus-alertmanager), or: apt-get install prometheus prometheus-alertmanager");
        throw new UnreachableException();
    }

    /// <summary>Runs a tool of the Prometheus suite; a missing tool fails the test (never skips it).</summary>
    private static async Task<(int ExitCode, string Output)> RunToolAsync(string tool, string workingDirectory, params string[] args)
    {
        var path = FindOnPath(tool) ?? FailMissing(tool);

        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', args)} did not exit within 60 s");
        }

        var output = $"{tool} {string.Join(' ', args)} (in {workingDirectory}) exited {process.ExitCode}\n{await stdout}{await stderr}";
        return (process.ExitCode, output);
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}

/// <summary>
/// The metric names that <c>deploy/</c> depends on: those referenced by the alert rules and by the
/// Grafana dashboards (panel and annotation queries, template variable queries).
/// </summary>
public static partial class DeployMetricReferences
{
    private static readonly HashSet<string> s_keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        // binary and set operators, modifiers
        "and", "or", "unless", "atan2", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
        // aggregation operators (also caught as `name (`, but `sum by (x) (…)` puts words in between)
        "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
        "limitk", "limit_ratio",
        // number literals
        "inf", "nan",
    };

    /// <summary>The directory holding Patronus.slnx, walking up from the test binaries.</summary>
    public static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Patronus.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Every series name referenced by <c>deploy/prometheus/alerts.yml</c> and by the dashboards in
    /// <c>deploy/grafana/dashboards/*.json</c>.
    /// </summary>
    public static IReadOnlySet<string> ReferencedMetricNames(string repoRoot)
    {
        var deploy = Path.Combine(repoRoot, "deploy");
        var expressions = AlertRuleExpressions(Path.Combine(deploy, "prometheus", "alerts.yml")).ToList();
        foreach (var dashboard in Directory.GetFiles(Path.Combine(deploy, "grafana", "dashboards"), "*.json"))
        {
            expressions.AddRange(DashboardExpressions(dashboard));
            expressions.AddRange(DashboardVariableSelectors(dashboard));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var expression in expressions)
        {
            names.UnionWith(MetricNames(expression));
        }

        return names;
    }

    /// <summary>
    /// The <c>expr:</c> values of a Prometheus rule file, read line by line: block scalars
    /// (<c>|</c>, <c>&gt;</c>), plain and quoted scalars, continued on more indented lines.
    /// </summary>
    public static IReadOnlyList<string> AlertRuleExpressions(string path)
    {
        var lines = File.ReadAllLines(path);
        var expressions = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var match = ExprKeyRegex().Match(lines[i]);
            if (!match.Success)
            {
                continue;
            }

            var keyColumn = match.Groups["key"].Index;
            var first = match.Groups["value"].Value;
            var continuation = new List<string>();
            while (i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || Indent(lines[i + 1]) > keyColumn))
            {
                continuation.Add(lines[++i]);
            }

            while (continuation.Count > 0 && continuation[^1].Trim().Length == 0)
            {
                continuation.RemoveAt(continuation.Count - 1);
            }

            if (first.Length > 0 && (first[0] == '|' || first[0] == '>'))
            {
                var indent = continuation.Where(l => l.Trim().Length > 0).Select(Indent).DefaultIfEmpty(0).Min();
                var separator = first[0] == '|' ? "\n" : " ";
                var body = string.Join(separator, continuation.Select(l => l.Length >= indent ? l[indent..] : ""));
                expressions.Add(first.StartsWith("|-", StringComparison.Ordinal) || first.StartsWith(">-", StringComparison.Ordinal) ? body : body + "\n");
            }
            else
            {
                var scalar = string.Join(" ", continuation.Select(l => l.Trim()).Prepend(first.Trim()).Where(l => l.Length > 0));
                expressions.Add(Unquote(scalar));
            }
        }

        return expressions;
    }

    /// <summary>Every <c>expr</c> string anywhere in a dashboard: panel targets, annotations, rows' panels.</summary>
    public static IReadOnlyList<string> DashboardExpressions(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var expressions = new List<string>();
        Walk(document.RootElement, (name, value) =>
        {
            if (name == "expr" && value.ValueKind == JsonValueKind.String)
            {
                expressions.Add(value.GetString()!);
            }
        });
        return expressions;
    }

    /// <summary>
    /// The series selectors inside the dashboard's query variables: <c>label_values(selector, label)</c>
    /// and <c>query_result(expr)</c>. <c>label_values(label)</c>, <c>label_names()</c> and
    /// <c>metrics(…)</c> reference no series.
    /// </summary>
    public static IReadOnlyList<string> DashboardVariableSelectors(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var selectors = new List<string>();
        if (!document.RootElement.TryGetProperty("templating", out var templating) ||
            !templating.TryGetProperty("list", out var list))
        {
            return selectors;
        }

        foreach (var variable in list.EnumerateArray())
        {
            if (!variable.TryGetProperty("type", out var type) || type.GetString() != "query" ||
                !variable.TryGetProperty("query", out var query))
            {
                continue;
            }

            var text = query.ValueKind == JsonValueKind.Object && query.TryGetProperty("query", out var inner) ? inner.GetString() : query.GetString();
            var labelValues = LabelValuesRegex().Match(text ?? "");
            var queryResult = QueryResultRegex().Match(text ?? "");
            if (labelValues.Success)
            {
                selectors.Add(labelValues.Groups[1].Value);
            }
            else if (queryResult.Success)
            {
                selectors.Add(queryResult.Groups[1].Value);
            }
        }

        return selectors;
    }

    /// <summary>Grafana's variables replaced by values promtool accepts: ranges by a duration, the rest by a regex.</summary>
    public static string SubstituteGrafanaVariables(string expression) =>
        GrafanaVariableRegex().Replace(GrafanaRangeRegex().Replace(expression, "[5m]"), ".*");

    /// <summary>
    /// The series names a PromQL expression selects: identifiers left once string literals, label
    /// matchers, ranges, grouping label lists, comments and Grafana variables are removed, other than
    /// functions (an identifier followed by <c>(</c>), keywords and number literals; plus names given
    /// as <c>{__name__="…"}</c>.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var code = BlankStrings(expression);

        // Blanking keeps offsets, so a matcher block found in `code` is read from `expression`.
        foreach (Match block in BracesRegex().Matches(code))
        {
            foreach (Match name in NameMatcherRegex().Matches(expression.Substring(block.Index, block.Length)))
            {
                names.Add(name.Groups[1].Value);
            }
        }

        code = CommentRegex().Replace(code, "");
        code = BracesRegex().Replace(code, " ");
        code = BracketsRegex().Replace(code, " ");
        code = GroupingRegex().Replace(code, " ");
        code = GrafanaVariableRegex().Replace(code, " ");
        foreach (Match identifier in IdentifierRegex().Matches(code))
        {
            if (!identifier.Groups["call"].Success && !s_keywords.Contains(identifier.Groups["name"].Value))
            {
                names.Add(identifier.Groups["name"].Value);
            }
        }

        return names;
    }

    /// <summary>Replaces the contents and quotes of "…", '…' and `…` literals by spaces.</summary>
    private static string BlankStrings(string expression)
    {
        var chars = expression.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var quote = chars[i];
            if (quote is not ('"' or '\'' or '`'))
            {
                continue;
            }

            var j = i + 1;
            while (j < chars.Length && chars[j] != quote)
            {
                j += chars[j] == '\\' && quote != '`' ? 2 : 1;
            }

            for (var k = i; k <= Math.Min(j, chars.Length - 1); k++)
            {
                chars[k] = ' ';
            }

            i = j;
        }

        return new string(chars);
    }

    private static string Unquote(string scalar)
    {
        if (scalar.Length >= 2 && scalar[0] == '\'' && scalar[^1] == '\'')
        {
            return scalar[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }

        if (scalar.Length >= 2 && scalar[0] == '"' && scalar[^1] == '"')
        {
            return DoubleQuotedEscapeRegex().Replace(scalar[1..^1], m => m.Groups[1].Value switch
            {
                "n" => "\n",
                "t" => "\t",
                var c => c,
            });
        }

        // A plain scalar ends at " #" (a YAML comment).
        var comment = scalar.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? scalar[..comment] : scalar).TrimEnd();
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    private static void Walk(JsonElement element, Action<string, JsonElement> visit)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    visit(property.Name, property.Value);
                    Walk(property.Value, visit);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, visit);
                }

                break;
        }
    }

    [GeneratedRegex(@"^\s*(?:-\s+)?(?<key>expr):\s*(?<value>.*)$")]
    private static partial Regex ExprKeyRegex();

    [GeneratedRegex(@"\\(.)")]
    private static partial Regex DoubleQuotedEscapeRegex();

    [GeneratedRegex(@"^\s*label_values\s*\((.*),\s*[A-Za-z_]\w*\s*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValuesRegex();

    [GeneratedRegex(@"^\s*query_result\s*\((.*)\)\s*$", RegexOptions.Singleline)]
    private static partial Regex QueryResultRegex();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex BracesRegex();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex BracketsRegex();

    [GeneratedRegex(@"#[^\n]*")]
    private static partial Regex CommentRegex();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex GroupingRegex();

    [GeneratedRegex(@"\[\s*\$\{?__\w+\}?\s*\]")]
    private static partial Regex GrafanaRangeRegex();

    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+")]
    private static partial Regex GrafanaVariableRegex();

    [GeneratedRegex(@"__name__\s*=\s*""([^""\\]*)""")]
    private static partial Regex NameMatcherRegex();

    // Not preceded by a word character, '.', or ':' (inside a number like 1e3 or 0x1F, or a
    // duration); a following '(' marks a function or an aggregation.
    [GeneratedRegex(@"(?<![\w.:])(?<name>[A-Za-z_:][\w:]*)(?<call>\s*\()?")]
    private static partial Regex IdentifierRegex();
}
