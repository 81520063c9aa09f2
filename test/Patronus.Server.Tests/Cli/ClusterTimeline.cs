using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// What the cluster lab's nodes and HAProxy said during a scenario, on the load's clock: every node's
/// <c>/health/ready</c> (status, how long it took, the failing components) and HAProxy's view of each
/// server (status, last check, its duration), asked every <see cref="Interval"/>. Only changes and
/// slow answers are kept, so a failed scenario's message shows who went down when and why.
/// </summary>
public sealed class ClusterTimeline : IAsyncDisposable
{
    /// <summary>Between two rounds of questions.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>A readiness answer slower than this is recorded even when it did not change (HAProxy's check gives up after 500 ms).</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(250);

    private readonly ClusterLab _lab;
    private readonly Func<TimeSpan> _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];
    private readonly Dictionary<string, string> _last = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(4) };
    private readonly Task _loop;

    public ClusterTimeline(ClusterLab lab, Func<TimeSpan> clock)
    {
        _lab = lab;
        _clock = clock;
        _loop = RunAsync();
    }

    /// <summary>The recorded lines so far.</summary>
    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join("\n", _lines);
            }
        }
    }

    /// <summary>Keeps a line when <paramref name="state"/> differs from the key's last one (or <paramref name="always"/>); <paramref name="detail"/> is shown, not compared.</summary>
    private void Record(string key, string state, string detail, TimeSpan at, bool always = false)
    {
        lock (_lines)
        {
            if (!always && _last.TryGetValue(key, out var last) && last == state)
            {
                return;
            }

            _last[key] = state;
            _lines.Add(string.Create(CultureInfo.InvariantCulture, $"{at.TotalSeconds,7:F2}s {key,-10} {state}{detail}"));
        }
    }

    // One loop per node and one for HAProxy: a node that answers slowly must not hold the others' samples back.
    private Task RunAsync() => Task.WhenAll(ClusterLab.NodeIds.Select(n => EveryAsync(() => ReadyAsync(n)))
        .Append(EveryAsync(HaproxyAsync)).Concat(ClusterLab.NodeIds.Select(n => EveryAsync(() => StoreAsync(n)))));

    private async Task EveryAsync(Func<Task> ask)
    {
        while (!_stop.IsCancellationRequested)
        {
            var round = Stopwatch.StartNew();
            await ask().ConfigureAwait(false);
            var rest = Interval - round.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(rest, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The store's own latency through the node's relay, on a connection of the test's: what the node's check would take without waiting for its pool.</summary>
    private async Task StoreAsync(string node)
    {
        var at = _clock();
        var took = await _lab.DirectStoreLatencyAsync(node).ConfigureAwait(false);
        var state = took is null ? "no answer" : took > Slow ? "slow" : "fast";
        Record($"{node} store", $"direct {state}", took is { } t ? $" ({ClusterLab.Ms(t)})" : "", at, always: took > Slow);
    }

    private async Task ReadyAsync(string node)
    {
        var at = _clock();
        var took = Stopwatch.StartNew();
        string state;
        var body = "";
        try
        {
            using var response = await _http.GetAsync(new Uri($"{_lab.Url(node)}/health/ready"), _stop.Token).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(_stop.Token).ConfigureAwait(false);
            state = $"ready {(int)response.StatusCode}{Failing(body)}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            state = $"ready: no answer ({ex.GetType().Name})";
        }

        var elapsed = took.Elapsed;
        Record($"{node} ready", state, $", answered in {ClusterLab.Ms(elapsed)}{Durations(body)}", at, always: elapsed > Slow);
    }

    /// <summary>" (store: no answer within 2 s; …)" for a 503's unhealthy components, "" otherwise.</summary>
    private static string Failing(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var failing = new StringBuilder();
            foreach (var component in json.RootElement.GetProperty("components").EnumerateObject())
            {
                if (component.Value.GetProperty("status").GetString() != "healthy")
                {
                    failing.Append(failing.Length == 0 ? " (" : "; ").Append(component.Name).Append(": ")
                        .Append(component.Value.TryGetProperty("detail", out var detail) ? detail.GetString() : "unhealthy");
                }
            }

            return failing.Length == 0 ? "" : failing.Append(')').ToString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "";
        }
    }

    /// <summary>" [store 412 ms, topology 0 ms, …]": how long each component's check took in serve.</summary>
    private static string Durations(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return " [" + string.Join(", ", json.RootElement.GetProperty("components").EnumerateObject()
                .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name} {c.Value.GetProperty("duration_ms").GetDouble():F0} ms"))) + "]";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "";
        }
    }

    private async Task HaproxyAsync()
    {
        var at = _clock();
        var rows = await _lab.HaproxyServersAsync("status", "check_status", "check_duration", "last_chk").ConfigureAwait(false);
        foreach (var (node, row) in rows)
        {
            // Every check has its own duration: status and check status are the state, the rest detail.
            Record($"{node} haproxy", $"{row["status"]} {row["check_status"]}", $" (last check {row["check_duration"]} ms: {row["last_chk"]})", at);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the way the loop ends
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
