using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;
using Patronus.Persistence;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// The operator's AdminDown hold in the window between a path's creation (the topology has its
/// session) and the loop's pass that opens it: the API answered 503 "not started yet" there, which
/// the GraphQL subscription test hit under load. The loop is not started; each test drives its
/// passes in the orders the real loop can take them (<see cref="BfdService.Iterate"/> reads the
/// commands, <see cref="BfdService.ApplyTopologyForTest"/> is its topology step), on a fake clock
/// and a real socket on a loopback address of its own (127.0.8.x).
/// </summary>
public sealed class BfdAdminOverrideTests
{
    private static int s_next;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AdminDown_PathCreatedButNotYetOpenedByTheLoop_AcceptedAndHeld(bool commandReadFirst)
    {
        await using var h = await Harness.StartAsync();
        await h.AddPathAsync("p");
        var now = h.Time.GetTimestamp();
        Assert.False(h.Service.Sessions.ContainsKey("p")); // the loop has not applied the new topology yet: GET answers 503

        // What POST admin-down asks: it was refused here (the API's 503), for a session the topology has.
        Assert.True(h.Service.SetAdminDownOverride("p", true));
        using var events = new CancellationTokenSource();
        var changes = h.Service.Subscribe(events.Token);

        // The loop's next passes, in either order: the command read before the topology is applied
        // (it was posted between the pass's topology check and its command read), or after.
        if (commandReadFirst)
        {
            h.Service.Iterate(now);
            h.Service.ApplyTopologyForTest(h.Topology.Current, now);
        }
        else
        {
            h.Service.ApplyTopologyForTest(h.Topology.Current, now);
            h.Service.Iterate(now);
        }

        var held = h.Service.Sessions["p"];
        Assert.Null(held.Error);
        Assert.True(held.AdminDownOverride);
        Assert.Equal(BfdState.AdminDown, held.SessionState);

        // Released, the session goes Down (its peer never answers) and subscribers hear it.
        Assert.True(h.Service.SetAdminDownOverride("p", false));
        h.Service.Iterate(now);
        var released = h.Service.Sessions["p"];
        Assert.False(released.AdminDownOverride);
        Assert.Equal(BfdState.Down, released.SessionState);
        var last = default(BfdSessionEvent);
        while (changes.TryRead(out var e))
        {
            last = e;
        }

        Assert.NotNull(last);
        Assert.Equal(BfdState.Down, last.Change.NewState);
    }

    [Fact]
    public async Task AdminDown_PathWithoutBfdOrUnknown_Refused()
    {
        await using var h = await Harness.StartAsync();
        await h.AddPathAsync("plain", bfd: false);
        h.Service.ApplyTopologyForTest(h.Topology.Current, h.Time.GetTimestamp());

        Assert.False(h.Service.SetAdminDownOverride("plain", true));
        Assert.False(h.Service.SetAdminDownOverride("no-such-path", true));
    }

    [Fact]
    public async Task AdminDown_PathDeletedBeforeTheLoopReadTheCommand_NotKeptForAPathOfTheSameNameLater()
    {
        await using var h = await Harness.StartAsync();
        await h.AddPathAsync("p");
        Assert.True(h.Service.SetAdminDownOverride("p", true));

        // The path goes before the loop read the command, and before it applied either topology.
        await h.WriteAsync((s, ct) => s.DeletePathAsync("p", ct));
        var now = h.Time.GetTimestamp();
        h.Service.Iterate(now);

        // A new path of the same name is a new session: it starts Down, not held by the old command.
        await h.AddPathAsync("p");
        h.Service.ApplyTopologyForTest(h.Topology.Current, now);
        var view = h.Service.Sessions["p"];
        Assert.False(view.AdminDownOverride);
        Assert.Equal(BfdState.Down, view.SessionState);
    }

    /// <summary>A store with a site and a link from a loopback address of its own, and a service whose loop never starts.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly DirectoryInfo _dir;
        private readonly SqliteStore _store;
        private readonly BfdMetrics _metrics = new();

        private Harness(DirectoryInfo dir, SqliteStore store, TopologyService topology)
        {
            _dir = dir;
            _store = store;
            Topology = topology;
            Service = new BfdService(topology, _metrics, Time, NullLogger<BfdService>.Instance, new Random(5), useIoUring: false);
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));

        public TopologyService Topology { get; }

        public BfdService Service { get; }

        public static async Task<Harness> StartAsync()
        {
            var local = $"127.0.8.{Interlocked.Increment(ref s_next)}";
            var dir = Directory.CreateTempSubdirectory("patronus-bfd-admin-");
            Assert.True(StoreLocation.TryParse("sqlite:" + Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
            var store = new SqliteStore(location!, TimeProvider.System);
            await store.MigrateAsync();
            var topology = new TopologyService(store);
            Assert.True((await topology.InitializeAsync(TopologySnapshot.Empty)).Succeeded);
            var harness = new Harness(dir, store, topology);
            await harness.WriteAsync((s, ct) => s.InsertSiteAsync(new Site("s", "s", null, ItemSource.Api), ct));
            await harness.WriteAsync((s, ct) => s.InsertLinkAsync(new WanLink("l", "s", "l", null, local, null, 10, ItemSource.Api), ct));
            return harness;
        }

        public Task AddPathAsync(string id, bool bfd = true) =>
            WriteAsync((s, ct) => s.InsertPathAsync(new PathDefinition(id, id, "l", null, ["127.0.9.9"], ItemSource.Api,
                Bfd: bfd ? new BfdPathSettings("127.0.9.9", DesiredMinTxMs: 50, RequiredMinRxMs: 50, DetectMultiplier: 3) : null), ct));

        public async Task WriteAsync(Func<ITopologyStore, CancellationToken, Task<StoreResult>> write) =>
            Assert.True((await Topology.WriteAsync(write)).Succeeded);

        public async ValueTask DisposeAsync()
        {
            // Closing every session releases its sockets (the loop, never started, would on stop).
            Service.ApplyTopologyForTest(TopologySnapshot.Empty, Time.GetTimestamp());
            Service.Dispose();
            Topology.Dispose();
            await _store.DisposeAsync();
            _metrics.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _dir.Delete(recursive: true);
        }
    }
}
