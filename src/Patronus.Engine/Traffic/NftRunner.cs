using System.ComponentModel;
using System.Diagnostics;

namespace Patronus.Engine.Traffic;

/// <summary>The outcome of one <c>nft</c> run: a failure is a value with the tool's own words.</summary>
internal readonly record struct NftResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The first line of stderr (nft's "Error: …"), or the exit code.</summary>
    public string Error => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is [var first, ..]
        ? first
        : $"nft exited {ExitCode}";
}

/// <summary>Runs <c>nft</c> with arguments and optional standard input (a script for <c>-f -</c>).</summary>
internal interface INftRunner
{
    Task<NftResult> RunAsync(IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken);
}

/// <summary>
/// Shells out to the <c>nft</c> executable. Why not netlink: the nf_tables netlink protocol is
/// large (expressions, sets, generation ids, batch transactions), there is no .NET library for
/// it in our NuGet copy, and libnftables' JSON front end is the supported stable interface —
/// one process per second costs a few milliseconds.
/// </summary>
internal sealed class NftProcessRunner(string path) : INftRunner
{
    /// <summary>An nft run takes milliseconds; past this something hangs (a stuck netlink lock) and the run counts as failed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public string Path { get; } = path;

    public async Task<NftResult> RunAsync(IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return new NftResult(-1, string.Empty, $"cannot run {Path}: {ex.Message}");
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new NftResult(-1, await stdout.ConfigureAwait(false), $"nft did not finish within {Timeout.TotalSeconds} s");
        }
        catch (IOException ex)
        {
            // nft exited before reading its input (e.g. a bad argument): its stderr says why.
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            return new NftResult(process.ExitCode == 0 ? -1 : process.ExitCode, await stdout.ConfigureAwait(false), error.Length > 0 ? error : ex.Message);
        }

        return new NftResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>The configured path when it exists, else <c>nft</c> on PATH, /usr/sbin or /sbin; null when there is none.</summary>
    public static string? Find(string? configured)
    {
        if (configured is not null)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        // Services often run with a PATH without the sbin directories, where Debian puts nft.
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(dir => System.IO.Path.Combine(dir, "nft"))
            .FirstOrDefault(File.Exists);
    }
}
