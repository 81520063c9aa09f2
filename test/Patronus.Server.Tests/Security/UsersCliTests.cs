using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Patronus.Server.Tests.Cli;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary><c>patronus users …</c> through the real executable, on a fresh data dir.</summary>
public sealed class UsersCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DataDir => Path.Combine(_dir.Path, "data");

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "patronus.dll"));
        foreach (var a in args.Append("--data-dir").Append(DataDir))
        {
            info.ArgumentList.Add(a);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PATRONUS__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteLineAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task AddListPasswdDisable_FreshDataDir_Works()
    {
        var weak = await RunAsync("weak", "users", "add", "root", "--role", "admin", "--password-stdin");
        Assert.Equal(2, weak.Code);
        Assert.Contains("at least 12 characters", weak.Stderr, StringComparison.Ordinal);

        var noStdin = await RunAsync(null, "users", "add", "root", "--role", "admin");
        Assert.Equal(2, noStdin.Code);
        Assert.Contains("--password-stdin", noStdin.Stderr, StringComparison.Ordinal);

        var badRole = await RunAsync("Good-Passw0rd-123", "users", "add", "root", "--role", "superuser", "--password-stdin");
        Assert.Equal(2, badRole.Code);

        Assert.Equal(0, (await RunAsync("Good-Passw0rd-123", "users", "add", "root", "--role", "admin", "--password-stdin")).Code);
        Assert.Equal(0, (await RunAsync("Other-Passw0rd-456", "users", "add", "ops", "--role", "operator", "--password-stdin")).Code);
        var dup = await RunAsync("Other-Passw0rd-456", "users", "add", "ops", "--role", "operator", "--password-stdin");
        Assert.Equal(1, dup.Code);
        Assert.Contains("already exists", dup.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("Newer-Passw0rd-789", "users", "passwd", "ops", "--password-stdin")).Code);
        Assert.Equal(0, (await RunAsync(null, "users", "disable", "ops")).Code);
        Assert.Equal(1, (await RunAsync(null, "users", "disable", "root")).Code); // the last enabled admin

        var list = await RunAsync(null, "users", "list");
        Assert.Equal(0, list.Code);
        Assert.Matches(@"ops\s+operator\s+disabled", list.Stdout);
        Assert.Matches(@"root\s+admin\s+enabled", list.Stdout);
        Assert.DoesNotContain("Passw0rd", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_NoUsers_PrintsHowToCreateFirstAdmin()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var serve = PatronusProcess.Start("serve", "--data-dir", DataDir, "--urls", $"http://127.0.0.1:{port}");

        await Poll.UntilAsync(() => serve.Stdout.Contains("users add", StringComparison.Ordinal) || serve.HasExited, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        Assert.Contains("patronus users add admin --role admin --password-stdin", serve.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(DataDir, "jwt-signing.key")));
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(DataDir, "jwt-signing.key")), serve.Stdout + serve.Stderr, StringComparison.Ordinal);
    }
}
