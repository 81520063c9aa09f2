using System.Diagnostics;
using System.Text;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>A long-running child process (patronus serve, reflector) with its output captured for assertion messages.</summary>
public sealed class LabProcess : IDisposable
{
    // Enough of a log to explain a failure without drowning the assertion message.
    private const int TailChars = 6_000;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private bool _disposed;

    private LabProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id { get; private set; }

    /// <summary>False for a process whose stdout lines go to a callback (a poller): nothing to show in diagnostics.</summary>
    public bool CapturesOutput { get; private set; } = true;

    public bool HasExited => _disposed || _process.HasExited;

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

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>; <paramref name="name"/> labels its output in diagnostics.</summary>
    /// <param name="name">Label for diagnostics.</param>
    /// <param name="file">Executable.</param>
    /// <param name="args">Arguments, passed as they are (no shell).</param>
    /// <param name="workingDirectory">Working directory.</param>
    /// <param name="onStdoutLine">
    /// When given, each stdout line goes here (with the <see cref="Stopwatch"/> timestamp of its
    /// arrival) instead of into <see cref="Stdout"/>; null once stdout has closed.
    /// </param>
    public static LabProcess Start(string name, string file, IReadOnlyList<string> args, string workingDirectory, Action<long, string?>? onStdoutLine = null)
    {
        var info = new ProcessStartInfo(file)
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

        // The child must not inherit overrides meant for something else.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PATRONUS__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        var process = new Process { StartInfo = info };
        var result = new LabProcess(name, process);
        if (onStdoutLine is null)
        {
            process.OutputDataReceived += (_, e) => { lock (result._stdout) { result._stdout.AppendLine(e.Data); } };
        }
        else
        {
            process.OutputDataReceived += (_, e) => onStdoutLine(Stopwatch.GetTimestamp(), e.Data);
        }

        process.ErrorDataReceived += (_, e) => { lock (result._stderr) { result._stderr.AppendLine(e.Data); } };
        process.Start();
        result.Id = process.Id;
        result.CapturesOutput = onStdoutLine is null;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits (bounded) until stdout contains <paramref name="text"/>; fails if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var printed = await Poll.UntilAsync(() => Stdout.Contains(text, StringComparison.Ordinal) || HasExited, timeout, TimeSpan.FromMilliseconds(50));
        if (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.Fail(printed ? $"{Name} exited before printing '{text}'.\n{Describe()}" : $"{Name} did not print '{text}' within {timeout.TotalSeconds} s.\n{Describe()}");
        }
    }

    public string Describe() =>
        $"--- {Name} (pid {Id}, {State()})\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}";

    private string State() => _disposed ? "killed by the test" : _process.HasExited ? $"exited {_process.ExitCode}" : "running";

    private static string Tail(string text) => text.Length <= TailChars ? text : "…" + text[^TailChars..];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }

        _process.Dispose();
    }
}
