using Patronus.Engine.Tunnels;
using System.Diagnostics;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Cli;

/// <summary><c>patronus tunnel genkey|pubkey</c> through the real executable, checked against wireguard-tools' <c>wg pubkey</c>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TunnelCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task GenkeyThenPubkeyStdin_AgreesWithWgPubkey()
    {
        var (genCode, privateKey, _) = await PatronusProcess.RunAsync("tunnel", "genkey");
        Assert.Equal(0, genCode);
        Assert.Equal(44, privateKey.Trim().Length);

        var ours = await RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "patronus.dll"), "tunnel", "pubkey", "--stdin"], privateKey);
        var theirs = await RunAsync("wg", ["pubkey"], privateKey);

        Assert.Equal(0, ours.ExitCode);
        Assert.Equal(theirs.Stdout.Trim(), ours.Stdout.Trim());
    }

    [Fact]
    public async Task PubkeyStdin_NotAKey_ExitCode2WithoutEchoingInput()
    {
        var result = await RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "patronus.dll"), "tunnel", "pubkey", "--stdin"], "hunter2");

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("hunter2", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pubkey_DataDir_CreatesKeyFile0600OnceAndPrintsOnlyItsPublicKey()
    {
        var dataDir = Path.Combine(_dir.Path, "data");

        var first = await PatronusProcess.RunAsync("tunnel", "pubkey", "--data-dir", dataDir);
        var second = await PatronusProcess.RunAsync("tunnel", "pubkey", "--data-dir", dataDir);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(first.Stdout, second.Stdout);
        var file = Path.Combine(dataDir, "tunnel.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var privateKey = File.ReadAllText(file).Trim();
        Assert.DoesNotContain(privateKey, first.Stdout + first.Stderr + second.Stdout + second.Stderr, StringComparison.Ordinal);
        Assert.Equal((await RunAsync("wg", ["pubkey"], privateKey)).Stdout.Trim(), first.Stdout.Trim());
    }

    [Fact]
    public async Task Pubkey_ConfigSetsPrivateKey_PrintsItsPublicKeyNotTheDataDirs()
    {
        var dataDir = Path.Combine(_dir.Path, "data");
        var privateKey = TunnelKeys.GeneratePrivateKey();
        Assert.True(TunnelKeys.TryPublicKey(privateKey, out var expected));
        var config = Path.Combine(_dir.Path, "patronus.json");
        await File.WriteAllTextAsync(config, $$"""{ "Tunnels": { "PrivateKey": "{{privateKey}}" } }""");

        var result = await PatronusProcess.RunAsync("tunnel", "pubkey", "--config", config, "--data-dir", dataDir);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Stdout.Trim());
        Assert.False(File.Exists(Path.Combine(dataDir, "tunnel.key")));
        Assert.DoesNotContain(privateKey, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] args, string input)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
