using System.Diagnostics;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>The outcome of a short command.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"`{CommandLine}` exited {ExitCode}\nstdout: {Stdout.Trim()}\nstderr: {Stderr.Trim()}";
}

/// <summary>Runs short commands (ip, nft, curl) to completion, each bounded in time.</summary>
public static class Shell
{
    /// <summary>Longest a lab command may take: they normally finish in milliseconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task<CommandResult> RunAsync(string file, IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var line = $"{file} {string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))}";
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = new Process { StartInfo = info };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
            return new CommandResult(line, -1, await stdout, $"{await stderr}\n(killed: still running after {limit.TotalSeconds} s)");
        }

        return new CommandResult(line, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and fails the test when the command fails.</summary>
    public static async Task<CommandResult> MustRunAsync(string file, IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var result = await RunAsync(file, args, timeout);
        Assert.True(result.Succeeded, result.ToString());
        return result;
    }
}
