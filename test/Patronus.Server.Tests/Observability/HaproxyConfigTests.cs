using System.Diagnostics;

namespace Patronus.Server.Tests.Observability;

/// <summary>deploy/haproxy/haproxy.cfg (docs/ha.md) is valid for the HAProxy CI installs, without a warning.</summary>
public sealed class HaproxyConfigTests
{
    private static string ConfigPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Patronus.slnx not found"), "deploy", "haproxy", "haproxy.cfg");
    }

    [Fact]
    public async Task HaproxyCheck_DeployConfig_ValidWithoutWarnings()
    {
        var info = new ProcessStartInfo("haproxy") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "-f", ConfigPath() })
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("haproxy not found: apt-get install -y haproxy (test.sh installs it)", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
            var output = await stdout + await stderr;

            Assert.True(process.ExitCode == 0, $"haproxy -c: rc {process.ExitCode}\n{output}");
            Assert.DoesNotContain("[WARNING]", output, StringComparison.Ordinal);
            Assert.Contains("/health/ready", await File.ReadAllTextAsync(ConfigPath()), StringComparison.Ordinal);
        }
    }
}
