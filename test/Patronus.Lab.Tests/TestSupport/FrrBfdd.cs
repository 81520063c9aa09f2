using System.Globalization;
using System.Text;
using System.Text.Json;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// FRR's bfdd (apt <c>frr</c>) as a BFD peer inside one of the lab's namespaces, without zebra
/// (peers name no interface), controlled through vtysh on a private vty socket directory — the
/// recipe of TOOLING.md. The daemon runs as user <c>frr</c>, so its directory is chowned to it.
/// Killed on dispose with the lab (by pid file) if the test did not stop it.
/// </summary>
public sealed class FrrBfdd : IAsyncDisposable
{
    public const string Daemon = "/usr/lib/frr/bfdd";

    private readonly NetLab _lab;
    private readonly string _dir;

    private FrrBfdd(NetLab lab, string ns, string dir)
    {
        _lab = lab;
        Namespace = ns;
        _dir = dir;
    }

    public string Namespace { get; }

    /// <summary>One configured peer of bfdd.</summary>
    public sealed record Peer(string Address, string Local, int DetectMultiplier = 3, int ReceiveMs = 300, int TransmitMs = 300, bool Multihop = false);

    public static async Task<FrrBfdd> StartAsync(NetLab lab, string ns, params Peer[] peers)
    {
        if (!File.Exists(Daemon))
        {
            Assert.Fail($"{Daemon} is missing: apt-get install -y frr (test.sh installs it when run as root).");
        }

        var dir = lab.CreateTempDirectory("frr");
        var config = new StringBuilder("frr defaults traditional\nbfd\n");
        foreach (var p in peers)
        {
            config.Append(CultureInfo.InvariantCulture, $" peer {p.Address}{(p.Multihop ? " multihop" : "")} local-address {p.Local}\n");
            config.Append(CultureInfo.InvariantCulture, $"  detect-multiplier {p.DetectMultiplier}\n  receive-interval {p.ReceiveMs}\n  transmit-interval {p.TransmitMs}\n exit\n");
        }

        config.Append("exit\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "bfdd.conf"), config.ToString());
        await Shell.MustRunAsync("chown", ["-R", "frr:frr", dir]);
        var frr = new FrrBfdd(lab, ns, dir);
        await lab.MustExecAsync(ns, Daemon, "-d", "-f", Path.Combine(dir, "bfdd.conf"), "-i", frr.PidFile, "--bfdctl", Path.Combine(dir, "bfdd.sock"),
            "--vty_socket", dir, "-P", "0");
        return frr;
    }

    private string PidFile => Path.Combine(_dir, "bfdd.pid");

    /// <summary>Runs vtysh commands (each a -c) against this bfdd.</summary>
    public Task<CommandResult> VtyshAsync(params string[] commands) =>
        _lab.MustExecAsync(Namespace, ["vtysh", "--vty_socket", _dir, .. commands.SelectMany(c => new[] { "-c", c })]);

    /// <summary><c>show bfd peers json</c>: one element per peer.</summary>
    public async Task<JsonElement[]> PeersAsync()
    {
        var result = await VtyshAsync("show bfd peers json");
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    /// <summary>The peer entry for <paramref name="address"/>.</summary>
    public async Task<JsonElement> PeerAsync(string address) =>
        (await PeersAsync()).Single(p => p.GetProperty("peer").GetString() == address);

    /// <summary>Polls <c>show bfd peers json</c> until the peer entry satisfies <paramref name="condition"/>; fails with the last entry otherwise.</summary>
    public async Task<JsonElement> WaitForPeerAsync(string address, Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        JsonElement last = default;
        var met = await Poll.UntilAsync(async () => condition(last = await PeerAsync(address)), timeout, TimeSpan.FromMilliseconds(50));
        Assert.True(met, $"{what}: not within {timeout.TotalSeconds} s; FRR's last view: {last}");
        return last;
    }

    /// <summary>Changes a peer's timers at run time (configure terminal → bfd → peer …), which makes bfdd start a Poll.</summary>
    public Task ConfigurePeerAsync(Peer peer, params string[] settings) =>
        VtyshAsync(["configure terminal", "bfd", $"peer {peer.Address}{(peer.Multihop ? " multihop" : "")} local-address {peer.Local}", .. settings]);

    /// <summary>Stops the daemon (SIGTERM, then waits for the pid to go).</summary>
    public async Task StopAsync()
    {
        if (!File.Exists(PidFile))
        {
            return;
        }

        var pid = (await File.ReadAllTextAsync(PidFile)).Trim();
        await Shell.RunAsync("kill", ["-KILL", pid]);
        File.Delete(PidFile);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
