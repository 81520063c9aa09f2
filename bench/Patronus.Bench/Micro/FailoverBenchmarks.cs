using System.Net;
using BenchmarkDotNet.Attributes;
using Patronus.Engine.Failover;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;

namespace Patronus.Bench.Micro;

/// <summary>
/// The failover decision for one policy on one event (a steady primary, and the event that moves
/// traffic), and the routing snapshot: building and swapping a 10,000-route table, and a
/// longest-prefix lookup in it.
/// </summary>
public class FailoverBenchmarks
{
    private const int Routes = 10_000;
    private static readonly LoopTime s_now = new(TimeSpan.FromHours(1), new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    private readonly FailoverPolicy _policy = new(1, "bench", "p1", ["p2", "p3"], 50, 80, TimeSpan.FromSeconds(60), true, [IPNetwork.Parse("10.99.0.0/16")], ItemSource.Api);
    private readonly RouteTableHolder _holder = new();
    private FailoverPolicyState _state = null!;
    private Dictionary<string, FailoverPathInput> _healthy = [];
    private Dictionary<string, FailoverPathInput> _primaryDown = [];
    private RouteEntry[] _entries = [];
    private RouteTable _table = RouteTable.Empty;
    private IPAddress[] _destinations = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _state = FailoverPolicyState.Initial(_policy);
        _healthy = new() { ["p1"] = new("p1", 100, false, true), ["p2"] = new("p2", 95, false, true), ["p3"] = new("p3", 90, null, true) };
        _primaryDown = new(_healthy) { ["p1"] = new("p1", 100, true, true) };
        var gateway = IPAddress.Parse("192.0.2.1");
        _entries = Enumerable.Range(0, Routes)
            .Select(i => new RouteEntry(new IPNetwork(new IPAddress(new byte[] { 10, (byte)(i >> 8), (byte)i, 0 }), 24), "1", "p1", "wan1", gateway, "wan1"))
            .ToArray();
        _table = new RouteTable(_entries);
        _destinations = Enumerable.Range(0, 1024).Select(i => new IPAddress(new byte[] { 10, (byte)(i * 7 >> 8), (byte)(i * 7), 9 })).ToArray();
    }

    /// <summary>A health event that changes nothing: the common case.</summary>
    [Benchmark]
    public FailoverOutcome DecideSteady() => FailoverDecision.Decide(_policy, _state, _healthy, s_now, FailoverDampening.Default);

    /// <summary>The event that matters: the primary's BFD session went Down.</summary>
    [Benchmark]
    public FailoverOutcome DecideFailover() => FailoverDecision.Decide(_policy, _state, _primaryDown, s_now, FailoverDampening.Default);

    /// <summary>Build a 10,000-route table and publish it (what every switch costs the engine before the kernel).</summary>
    [Benchmark]
    public RouteTable BuildAndSwap10k() => _holder.Swap(new RouteTable(_entries));

    /// <summary>Only the publication: one reference exchange.</summary>
    [Benchmark]
    public RouteTable SwapOnly() => _holder.Swap(_table);

    [Benchmark]
    public RouteEntry? Lookup10k() => _table.Lookup(_destinations[_next++ & 1023]);
}
