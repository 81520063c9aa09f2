using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Bench.Routing;

/// <summary>
/// <c>Patronus.Bench kernel-routes [--routes N]</c> (root): the cost of putting routes in the
/// kernel over rtnetlink, in a network namespace created for the run (never the host's table).
/// Measures N replaces of new /24s via one gateway (initial install), N replaces moving all of them
/// to another gateway (what a failover of a policy with N prefixes costs), and N deletes.
/// </summary>
internal static class KernelRoutesHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var routes = args.Length >= 2 && args[0] == "--routes" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var ns = $"pbench-rt-{Environment.ProcessId}";
        await RunAsync("ip", "netns", "add", ns);
        try
        {
            await RunAsync("ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
            await RunAsync("ip", "-n", ns, "link", "set", "d1", "up");
            await RunAsync("ip", "-n", ns, "addr", "add", "192.0.2.10/24", "dev", "d0");
            await RunAsync("ip", "-n", ns, "link", "set", "d0", "up");
            var show = await RunAsync("ip", "-n", ns, "-j", "link", "show", "dev", "d0");
            var index = JsonDocument.Parse(show).RootElement[0].GetProperty("ifindex").GetInt32();
            using var socket = NetlinkRouteSocket.Open($"/run/netns/{ns}");
            var prefixes = Enumerable.Range(0, routes).Select(i => new IPNetwork(new IPAddress(new byte[] { 10, (byte)(i >> 8), (byte)i, 0 }), 24)).ToArray();
            var gw1 = IPAddress.Parse("192.0.2.1");
            var gw2 = IPAddress.Parse("192.0.2.2");

            Console.WriteLine($"# kernel-routes: {routes} routes in namespace {ns}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            Measure("install (replace, new)", prefixes, p => socket.Replace(p, gw1, index));
            Measure("move to other gateway (replace)", prefixes, p => socket.Replace(p, gw2, index));
            var count = (await RunAsync("ip", "-n", ns, "route", "show", "proto", "250")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Console.WriteLine($"  kernel shows {count} routes with proto 250");
            Measure("delete", prefixes, p => socket.Delete(p, null, 0));
            return 0;
        }
        finally
        {
            await RunAsync("ip", "netns", "del", ns);
        }
    }

    private static void Measure(string what, IPNetwork[] prefixes, Func<IPNetwork, int> op)
    {
        var perRoute = new double[prefixes.Length];
        var total = Stopwatch.StartNew();
        for (var i = 0; i < prefixes.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var errno = op(prefixes[i]);
            perRoute[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if (errno != 0)
            {
                throw new InvalidOperationException($"{what}: {prefixes[i]} failed with errno {errno}");
            }
        }

        total.Stop();
        Array.Sort(perRoute);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what,-34} total {total.Elapsed.TotalMilliseconds,8:0.0} ms; per route median {perRoute[perRoute.Length / 2]:0.0} µs, p99 {perRoute[(int)(perRoute.Length * 0.99)]:0.0} µs, max {perRoute[^1]:0.0} µs"));
    }

    /// <summary>Runs a tool to its end; its standard output, or an exception with its standard error.</summary>
    internal static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr}");
    }
}
