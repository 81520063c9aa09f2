using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Cli;

/// <summary>The real <c>patronus</c> executable (the build output next to the tests) as a child process.</summary>
public sealed partial class PatronusProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private PatronusProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static PatronusProcess Start(params string[] args) => StartWith(null, args);

    /// <summary>Starts with extra environment variables (<c>PATRONUS__…</c> overrides) on top of the test defaults.</summary>
    public static PatronusProcess StartWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // Through env(1), which execs dotnet (same PID) with SIGINT at its default: a test run started
        // in the background (`./test.sh &`) has SIGINT ignored, the child would inherit that, and .NET
        // honours an ignored SIGINT (nohup semantics) — the SIGINT exit test then waits in vain.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "patronus.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The child must not inherit overrides meant for something else.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PATRONUS__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        // Each quickstart instance gets its own reflector port so parallel tests do not collide.
        using (var probe = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)))
        {
            info.Environment["PATRONUS__QUICKSTART__REFLECTORPORT"] = ((System.Net.IPEndPoint)probe.Client.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Traffic accounting would create an nftables table (and turn conntrack on) in the host's
        // root namespace when the tests run as root.
        info.Environment["PATRONUS__TRAFFIC__ENABLED"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var result = new PatronusProcess(process);
        process.OutputDataReceived += (_, e) => { lock (result._stdout) { result._stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (result._stderr) { result._stderr.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Runs to completion (bounded) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = Start(args);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"patronus {string.Join(' ', args)} did not exit");
        return (p.ExitCode, p.Stdout, p.Stderr);
    }

    /// <summary>Polls <c>/health/ready</c> at <paramref name="url"/> until it answers 200; fails the test (with the output) after 60 s or when the process exits.</summary>
    public async Task WaitReadyAsync(string url)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        System.Net.HttpStatusCode? status = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                status = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // listening, but its first answer takes longer than the client's 5 s (JIT on a loaded box): ask again
            }

            return status == System.Net.HttpStatusCode.OK || HasExited;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        Assert.True(status == System.Net.HttpStatusCode.OK, $"not ready: {status}\n{Stderr}\n{Stdout}");
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGINT = 2, SIGKILL = 9) as an init system, Ctrl+C or a crash would.</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
