using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;
using Patronus.Lab.Tests.TestSupport;
using Patronus.Persistence;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Traffic;

/// <summary>
/// <see cref="TrafficAccountingService"/> in the test process, over a real SQLite store with the
/// edge's topology and policy as serve would load them, acting on the edge namespace of a
/// <see cref="WanLab"/>: its <c>Traffic:NftPath</c> is a two-line wrapper that runs nft inside that
/// namespace, its <c>Traffic:ConntrackPath</c> the conntrack table of a process living there.
/// </summary>
public sealed class InProcessAccounting : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly SqliteStore _store;
    private readonly TrafficMetrics _metrics;

    private InProcessAccounting(DirectoryInfo dir, SqliteStore store, TrafficMetrics metrics, TopologyService topology, FailoverPolicyService policies, TrafficAccountingService service)
    {
        _dir = dir;
        _store = store;
        _metrics = metrics;
        Topology = topology;
        Policies = policies;
        Service = service;
    }

    public TopologyService Topology { get; }

    public FailoverPolicyService Policies { get; }

    public TrafficAccountingService Service { get; }

    /// <summary>
    /// Starts the service; its counter reads go through the nft wrapper (<paramref name="netlink"/>
    /// false, as with <c>Traffic:NftPath</c> set) or over a netlink socket opened in the edge
    /// namespace (as a serve living there reads them).
    /// </summary>
    public static async Task<InProcessAccounting> StartAsync(NetLab lab, WanLab wan, ITestOutputHelper output, TimeSpan readInterval, bool netlink = false)
    {
        var files = lab.CreateTempDirectory("acct");
        var nft = Path.Combine(files, "nft");
        await File.WriteAllTextAsync(nft, $"#!/bin/sh\nexec ip netns exec {wan.Edge} nft \"$@\"\n");
        await Shell.MustRunAsync("chmod", ["700", nft]);
        var anchor = lab.Start(wan.Edge, "edge namespace anchor", ["sleep", "600"]);

        var dir = Directory.CreateTempSubdirectory($"{lab.Prefix}-store-");
        Assert.True(StoreLocation.TryParse("sqlite:" + Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
        var store = new SqliteStore(location!, TimeProvider.System);
        await store.MigrateAsync();
        var topology = new TopologyService(store);
        Assert.True((await topology.InitializeAsync(new TopologySnapshot(
            [new Site("edge", "edge", null, ItemSource.Config), new Site("remote", "remote", null, ItemSource.Config)],
            [
                new WanLink("wan1", "edge", "wan1", "wan1", "10.240.1.1", "10.240.1.2", 10, ItemSource.Config),
                new WanLink("wan2", "edge", "wan2", "wan2", "10.240.2.1", "10.240.2.2", 10, ItemSource.Config),
            ],
            [
                new PathDefinition("p1", "p1", "wan1", "remote", ["10.240.11.2:862"], ItemSource.Config),
                new PathDefinition("p2", "p2", "wan2", "remote", ["10.240.12.2:862"], ItemSource.Config),
            ]))).Succeeded);
        var policies = new FailoverPolicyService(store);
        Assert.True((await policies.InitializeAsync([Policy("to-server", WanLab.Prefix)])).Succeeded);

        var options = new TrafficOptions
        {
            NftPath = nft,
            ConntrackPath = $"/proc/{anchor.Id}/net/nf_conntrack",
            ReadInterval = readInterval,
            FlowReadInterval = readInterval,
        };
        var metrics = new TrafficMetrics();
        var logger = new FakeLogger<TrafficAccountingService>(OutputLogs(output));
        var service = netlink
            ? new TrafficAccountingService(policies, topology, Options.Create(options), metrics, TimeProvider.System, logger,
                new NftProcessRunner(nft), privileged: true, readLines: null,
                NftNetlinkCounterReader.Open(networkNamespacePath: $"/run/netns/{wan.Edge}"))
            : new TrafficAccountingService(policies, topology, Options.Create(options), metrics, TimeProvider.System, logger);
        var accounting = new InProcessAccounting(dir, store, metrics, topology, policies, service);
        await service.StartAsync(CancellationToken.None);
        return accounting;
    }

    public static FailoverPolicy Policy(string name, string prefix) =>
        new(0, name, "p1", ["p2"], 50, 80, TimeSpan.FromSeconds(60), true, [IPNetwork.Parse(prefix)], ItemSource.Config);

    public long PolicyId(string name) => Policies.Current.Single(p => p.Name == name).Id;

    /// <summary>Waits (bounded) for a snapshot read after <paramref name="after"/> that satisfies <paramref name="condition"/>.</summary>
    public async Task<TrafficSnapshot> WaitAsync(DateTimeOffset after, Func<TrafficSnapshot, bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var snapshot = Service.Current;
        var met = await Poll.UntilAsync(() => (snapshot = Service.Current).ReadAt > after && condition(snapshot), limit, TimeSpan.FromMilliseconds(20));
        Assert.True(met, $"{what}: not within {limit.TotalSeconds} s; unavailable: {Service.Unavailable ?? "no"}; last snapshot read at {snapshot.ReadAt:O}");
        return snapshot;
    }

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
        Policies.Dispose();
        Topology.Dispose();
        await _store.DisposeAsync();
        _metrics.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    /// <summary>The service's log records (Debug and up) in the test output, dropped once the test is over.</summary>
    private static FakeLogCollector OutputLogs(ITestOutputHelper output) => FakeLogCollector.Create(new FakeLogCollectorOptions
    {
        FilteredLevels = { LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical },
        OutputFormatter = r => $"  [{r.Timestamp:HH:mm:ss.fff} {r.Level} {r.Id.Id}] {r.Message}{(r.Exception is null ? "" : " " + r.Exception)}",
        OutputSink = line =>
        {
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // the test has finished
            }
        },
    });
}
