using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// Network namespaces, veth links and processes of one test, all named with a per-run prefix
/// (<c>pl-&lt;6 hex&gt;-role</c>) so parallel runs on one machine never meet, and all removed on
/// dispose: processes killed (by id), namespaces deleted, temporary directories removed.
/// Traffic stays inside these namespaces, on addresses from 10.240.0.0/12; nothing here addresses
/// a namespace address from the root namespace (whose default route leaves the machine).
/// </summary>
public sealed class NetLab : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<string> _namespaces = [];
    private readonly List<LabProcess> _processes = [];
    private readonly List<string> _directories = [];

    private NetLab(ITestOutputHelper output, string prefix)
    {
        _output = output;
        Prefix = prefix;
    }

    public string Prefix { get; }

    /// <summary>The real <c>patronus</c> build output, copied next to the tests by the project reference.</summary>
    public static string PatronusDll { get; } = Path.Combine(AppContext.BaseDirectory, "patronus.dll");

    /// <summary>Checks the machine (root, tools) and picks a fresh prefix.</summary>
    public static NetLab Create(ITestOutputHelper output)
    {
        LabRequirements.Check();
        Assert.True(File.Exists(PatronusDll), $"{PatronusDll} is missing: the project reference to Patronus.Server should copy it");
        return new NetLab(output, $"pl-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
    }

    /// <summary>Adds namespace <c>{Prefix}-{role}</c> with <c>lo</c> up and returns its name.</summary>
    public async Task<string> AddNamespaceAsync(string role)
    {
        var name = $"{Prefix}-{role}";
        await Shell.MustRunAsync("ip", ["netns", "add", name]);
        _namespaces.Add(name);
        await Shell.MustRunAsync("ip", ["-n", name, "link", "set", "lo", "up"]);
        return name;
    }

    /// <summary>
    /// A veth pair between two of our namespaces, created directly inside them (never in the root
    /// namespace, where names could clash with another run), addressed and up.
    /// </summary>
    public async Task AddVethAsync(string namespaceA, string interfaceA, string cidrA, string namespaceB, string interfaceB, string cidrB)
    {
        Assert.True(interfaceA.Length <= 15 && interfaceB.Length <= 15, "interface names are at most 15 characters (IFNAMSIZ)");
        Own(namespaceA);
        Own(namespaceB);
        await Shell.MustRunAsync("ip", ["-n", namespaceA, "link", "add", interfaceA, "type", "veth", "peer", "name", interfaceB, "netns", namespaceB]);
        await Shell.MustRunAsync("ip", ["-n", namespaceA, "addr", "add", cidrA, "dev", interfaceA]);
        await Shell.MustRunAsync("ip", ["-n", namespaceB, "addr", "add", cidrB, "dev", interfaceB]);
        await Shell.MustRunAsync("ip", ["-n", namespaceA, "link", "set", interfaceA, "up"]);
        await Shell.MustRunAsync("ip", ["-n", namespaceB, "link", "set", interfaceB, "up"]);
    }

    /// <summary>Runs a command inside one of this lab's namespaces.</summary>
    public Task<CommandResult> ExecAsync(string ns, params string[] args) => Shell.RunAsync("ip", ["netns", "exec", Own(ns), .. args]);

    /// <summary>Runs a command in a namespace of the lab with its own time limit (a command that runs for a set time itself, e.g. a 10 s iperf3 stream).</summary>
    public Task<CommandResult> ExecAsync(string ns, TimeSpan timeout, params string[] args) => Shell.RunAsync("ip", ["netns", "exec", Own(ns), .. args], timeout);

    public Task<CommandResult> MustExecAsync(string ns, params string[] args) => Shell.MustRunAsync("ip", ["netns", "exec", Own(ns), .. args]);

    /// <summary>Runs an nft script (one transaction: all its commands apply atomically) in a namespace.</summary>
    public Task<CommandResult> NftAsync(string ns, string script) => MustExecAsync(ns, "nft", script);

    /// <summary>
    /// Table <c>inet t</c> with an output chain <c>out</c> and an input chain <c>in</c>, both
    /// accepting, for tests to add and flush drop rules in.
    /// </summary>
    public Task<CommandResult> AddFilterTableAsync(string ns) => NftAsync(ns,
        "add table inet t; " +
        "add chain inet t out { type filter hook output priority 0; policy accept; }; " +
        "add chain inet t in { type filter hook input priority 0; policy accept; }");

    /// <summary>The packet counts of the <c>counter</c> statements in a chain, in rule and statement order.</summary>
    public async Task<IReadOnlyList<long>> NftCountersAsync(string ns, string chain)
    {
        var result = await MustExecAsync(ns, "nft", "-j", "list", "chain", "inet", "t", chain);
        using var doc = JsonDocument.Parse(result.Stdout);
        var counters = new List<long>();
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule))
            {
                continue;
            }

            foreach (var expr in rule.GetProperty("expr").EnumerateArray())
            {
                if (expr.TryGetProperty("counter", out var counter))
                {
                    counters.Add(counter.GetProperty("packets").GetInt64());
                }
            }
        }

        return counters;
    }

    /// <summary>Starts <c>dotnet patronus.dll ARGS</c> inside a namespace; it is killed on dispose.</summary>
    public LabProcess StartPatronus(string ns, string name, params string[] args) => Start(ns, name, ["dotnet", PatronusDll, .. args]);

    /// <summary>Starts a long-running command inside a namespace; it is killed on dispose (if not before).</summary>
    public LabProcess Start(string ns, string name, IReadOnlyList<string> command, Action<long, string?>? onStdoutLine = null)
    {
        var process = LabProcess.Start(name, "ip", ["netns", "exec", Own(ns), .. command], AppContext.BaseDirectory, onStdoutLine);
        _processes.Add(process);
        return process;
    }

    /// <summary>The network rule: commands run only in namespaces this lab created.</summary>
    private string Own(string ns)
    {
        Assert.True(_namespaces.Contains(ns), $"'{ns}' is not a namespace of lab {Prefix}");
        return ns;
    }

    /// <summary>A temporary directory removed on dispose.</summary>
    public string CreateTempDirectory(string role)
    {
        var path = Directory.CreateTempSubdirectory($"{Prefix}-{role}-").FullName;
        _directories.Add(path);
        return path;
    }

    /// <summary>Every process's state and output, for assertion messages.</summary>
    public string Diagnostics() => string.Join('\n', _processes.Where(p => p.CapturesOutput).Select(p => p.Describe()));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        foreach (var ns in _namespaces)
        {
            // Anything still running in our namespace is ours (a grandchild that escaped the tree
            // kill): end it by id before deleting the namespace, which would otherwise live on.
            var pids = await Shell.RunAsync("ip", ["netns", "pids", ns]);
            foreach (var line in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    _output.WriteLine($"cleanup: killing leftover pid {pid} in {ns}");
                    await Shell.RunAsync("kill", ["-KILL", line]);
                }
            }

            var deleted = await Shell.RunAsync("ip", ["netns", "del", ns]);
            if (!deleted.Succeeded)
            {
                _output.WriteLine($"cleanup: {deleted}");
            }
        }

        foreach (var dir in _directories)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException ex)
            {
                _output.WriteLine($"cleanup: cannot remove {dir}: {ex.Message}");
            }
        }
    }
}
