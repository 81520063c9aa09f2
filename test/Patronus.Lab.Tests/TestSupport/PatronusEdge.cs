using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// <c>patronus serve</c> inside an edge namespace, its API queried from inside that namespace with
/// curl (the API listens on the namespace's own loopback, unreachable from the root namespace).
/// Before serve starts, <c>patronus users add</c> creates an admin (the documented bootstrap); once
/// ready, a login from inside the namespace gets the access token every API request here sends.
/// </summary>
public sealed class PatronusEdge
{
    /// <summary>Any port will do: the namespace is fresh, nothing else listens in it.</summary>
    public const int ApiPort = 18080;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The lab's API user; the password satisfies the policy.</summary>
    public const string User = "lab";
    public const string Password = "Edge-Passw0rd-2026";

    // Access tokens by namespace, for the other curl helpers (ApiPoll, WanLab) in that namespace.
    private static readonly ConcurrentDictionary<string, string> s_tokens = new(StringComparer.Ordinal);

    private readonly NetLab _lab;
    private readonly long _started;

    private PatronusEdge(NetLab lab, string ns, LabProcess process, long started)
    {
        _lab = lab;
        Namespace = ns;
        Process = process;
        _started = started;
    }

    public string Namespace { get; }

    public LabProcess Process { get; }

    /// <summary>Time since the process was started.</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_started);

    /// <summary>What is left of <paramref name="budget"/> counted from the start of serve (never negative).</summary>
    public TimeSpan LeftOf(TimeSpan budget) => budget - Uptime is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    /// <summary>Writes <paramref name="config"/> as the config file, starts serve and waits (bounded) for /health/ready.</summary>
    public static async Task<PatronusEdge> StartAsync(NetLab lab, string ns, object config)
    {
        var dir = lab.CreateTempDirectory("edge");
        var file = Path.Combine(dir, "patronus.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(config, s_json));
        var dataDir = Path.Combine(dir, "data");
        await Shell.MustRunAsync("sh", ["-c", "printf '%s\\n' \"$0\" | dotnet \"$1\" users add \"$2\" --role admin --password-stdin --config \"$3\" --data-dir \"$4\"",
            Password, NetLab.PatronusDll, User, file, dataDir], TimeSpan.FromSeconds(60));
        var started = Stopwatch.GetTimestamp();
        var process = lab.StartPatronus(ns, "edge serve", "serve", "--config", file, "--data-dir", dataDir,
            "--urls", $"http://127.0.0.1:{ApiPort}");
        var edge = new PatronusEdge(lab, ns, process, started);
        await edge.WaitForAsync("/health/ready", _ => true, TimeSpan.FromSeconds(30), "serve ready", TimeSpan.FromMilliseconds(100));
        var login = await lab.MustExecAsync(ns, "curl", "-s", "-f", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
            "--data", JsonSerializer.Serialize(new { username = User, password = Password }), $"http://127.0.0.1:{ApiPort}/api/v1/auth/login");
        using (var tokens = JsonDocument.Parse(login.Stdout))
        {
            s_tokens[ns] = tokens.RootElement.GetProperty("access_token").GetString()!;
        }

        return edge;
    }

    /// <summary>curl arguments that authenticate as the lab user of the serve in <paramref name="ns"/> (none before its login).</summary>
    public static string[] AuthArgs(string ns) => s_tokens.TryGetValue(ns, out var token) ? ["-H", $"Authorization: Bearer {token}"] : [];

    /// <summary>GET from inside the namespace; null when the request fails or the body is not JSON.</summary>
    public async Task<JsonElement?> TryGetJsonAsync(string path)
    {
        var result = await _lab.ExecAsync(Namespace, ["curl", "-s", "-f", "--max-time", "2", .. AuthArgs(Namespace), $"http://127.0.0.1:{ApiPort}{path}"]);
        if (!result.Succeeded)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(result.Stdout);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>GET from inside the namespace as text (e.g. <c>/metrics</c>); null when the request fails.</summary>
    public async Task<string?> TryGetTextAsync(string path)
    {
        var result = await _lab.ExecAsync(Namespace, "curl", "-s", "-f", "--max-time", "2", $"http://127.0.0.1:{ApiPort}{path}");
        return result.Succeeded ? result.Stdout : null;
    }

    /// <summary>
    /// Polls <paramref name="path"/> every <paramref name="every"/> (default 50 ms) until
    /// <paramref name="condition"/> holds, at most <paramref name="timeout"/>; fails with the last
    /// response and every process's output otherwise, or as soon as serve has exited.
    /// </summary>
    public async Task<JsonElement> WaitForAsync(string path, Func<JsonElement, bool> condition, TimeSpan timeout, string what, TimeSpan? every = null)
    {
        var interval = every ?? TimeSpan.FromMilliseconds(50);
        var start = Stopwatch.GetTimestamp();
        JsonElement? last = null;
        while (Stopwatch.GetElapsedTime(start) < timeout)
        {
            var pollStart = Stopwatch.GetTimestamp();
            if (Process.HasExited)
            {
                Assert.Fail($"patronus serve exited while waiting for {what}.\n{_lab.Diagnostics()}");
            }

            last = await TryGetJsonAsync(path);
            if (last is { } json && condition(json))
            {
                return json;
            }

            var rest = interval - Stopwatch.GetElapsedTime(pollStart);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
        }

        Assert.Fail($"{what}: not within {timeout.TotalSeconds} s; last GET {path}: {last?.ToString() ?? "(no answer)"}\n{_lab.Diagnostics()}");
        return default;
    }

    /// <summary>Every process's output, for assertion messages.</summary>
    public string Diagnostics() => _lab.Diagnostics();
}
