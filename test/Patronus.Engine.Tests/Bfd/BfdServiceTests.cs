using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Paths;
using Patronus.Persistence;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// Two <see cref="BfdService"/>s in this process, each with its own store and topology, running
/// sessions to each other over real UDP sockets on loopback addresses (127.0.5.x / 127.0.6.x, one
/// pair per test). Functional tests: they run the real loop on the system clock and poll for
/// conditions with deadlines.
/// </summary>
public sealed class BfdServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);
    private static int s_nextPair;

    private readonly List<Node> _nodes = [];
    private readonly string _a;
    private readonly string _b;

    public BfdServiceTests()
    {
        var pair = Interlocked.Increment(ref s_nextPair);
        _a = $"127.0.5.{pair}";
        _b = $"127.0.6.{pair}";
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    // 50 ms × 5 (250 ms detection): fast enough for short tests, slack enough that a loaded CI box
    // starving a loop for a moment does not flap the sessions these tests assume stable.
    private static BfdPathSettings Bfd(string peer, int txMs = 50, BfdAuthSettings? auth = null, int multiplier = 5) =>
        new(peer, DesiredMinTxMs: txMs, RequiredMinRxMs: 50, DetectMultiplier: multiplier, Auth: auth);

    private async Task<Node> StartAsync(string local, BfdPathSettings? bfd, bool useIoUring = true)
    {
        var node = await Node.StartAsync(local, bfd, useIoUring);
        _nodes.Add(node);
        return node;
    }

    private static async Task<BfdSessionView> WaitAsync(Node node, Func<BfdSessionView, bool> condition, string what)
    {
        BfdSessionView? last = null;
        Assert.True(await Poll.UntilAsync(() => node.Service.Sessions.TryGetValue("p", out last) && condition(last), s_deadline),
            $"{what}: not within {s_deadline.TotalSeconds} s; last view {last}");
        return last!;
    }

    [Fact]
    public async Task TwoServices_ComeUp_AdminDownTellsThePeer_AdminUpRecovers()
    {
        var beforeStart = DateTimeOffset.UtcNow;
        var a = await StartAsync(_a, Bfd(_b));
        var b = await StartAsync(_b, Bfd(_a));
        var events = b.Service.Subscribe();

        var aUp = await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up");
        await WaitAsync(b, s => s.SessionState == BfdState.Up, "b up");

        // The handshake's start is in the view: when the sockets opened, before the first Up.
        Assert.NotNull(aUp.OpenedAt);
        Assert.InRange(aUp.OpenedAt.Value, beforeStart - TimeSpan.FromMilliseconds(50), aUp.LastChange!.Value);
        Assert.True(events.TryRead(out var first));
        Assert.Equal("p", first.PathId);
        Assert.Equal(BfdState.Down, first.Change.OldState);

        while (events.TryRead(out _))
        {
        }

        var aEvents = a.Service.Subscribe();
        Assert.True(a.Service.SetAdminDownOverride("p", true));
        await WaitAsync(a, s => s.SessionState == BfdState.AdminDown && s.AdminDownOverride, "a admin down");
        var bDown = await WaitAsync(b, s => s.SessionState == BfdState.Down, "b down after a's AdminDown");
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, bDown.State!.LocalDiag);
        Assert.Equal(BfdState.AdminDown, bDown.State.RemoteSessionState);
        Assert.Equal(BfdStateChangeReason.NeighborAdminDown, bDown.LastChangeReason);

        // RFC 5882 §3.2: the peer's AdminDown is no forwarding failure: b has no opinion on the path.
        Assert.True(bDown.PeerAdminDown);
        Assert.False(bDown.IsDown);
        Assert.Null(bDown.HealthScore);
        Assert.Null(b.Service.Liveness("p"));

        Assert.True(a.Service.SetAdminDownOverride("p", false));
        var aUpAgain = await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up again");
        await WaitAsync(b, s => s.SessionState == BfdState.Up, "b up again");
        Assert.Equal(aUp.OpenedAt, aUpAgain.OpenedAt); // AdminDown and back is the same session, not a new one
        Assert.False(a.Service.SetAdminDownOverride("no-such-path", true));

        // Neither side gave an opinion from the AdminDown until Up again: no Down (0) after
        // release, no Init (50) on the way back up.
        foreach (var (node, reader) in new[] { ("a", aEvents), ("b", events) })
        {
            var seen = new List<BfdSessionEvent>();
            while (reader.TryRead(out var e))
            {
                seen.Add(e);
            }

            Assert.Equal(BfdState.Up, seen[^1].Change.NewState);
            Assert.Equal(100, seen[^1].Session.HealthScore);
            Assert.All(seen.SkipLast(1), e => Assert.True(e.Session.HealthScore is null, $"{node}: {e.Change} gave score {e.Session.HealthScore}"));
        }
    }

    [Fact]
    public async Task Gauges_ReportStateIntervalAndDetectionTime()
    {
        var a = await StartAsync(_a, Bfd(_b));
        var b = await StartAsync(_b, Bfd(_a));
        await WaitAsync(a, s => s.SessionState == BfdState.Up && s.State!.RemoteMinRxInterval == 50_000, "a up");
        await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.RemoteMinRxInterval == 50_000, "b up");

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BfdMetrics.MeterName && instrument.Name.StartsWith("patronus.bfd.session.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => values[i.Name] = v);
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => values[i.Name] = v);
        listener.Start();
        listener.RecordObservableInstruments();

        // Two services in this process publish under the same meter name: both report p as Up at 50 ms × 5.
        Assert.Equal(3, values["patronus.bfd.session.state"]);
        Assert.Equal(50, values["patronus.bfd.session.transmit_interval"]);
        Assert.Equal(250, values["patronus.bfd.session.detection_time"]);
        Assert.Equal(0, values["patronus.bfd.session.peer_admin_down"]);
    }

    [Fact]
    public async Task TimerChange_PollsAndAppliesWithoutFlap()
    {
        // Detect multiplier 10: "no flap" must not depend on the box's scheduling.
        var a = await StartAsync(_a, Bfd(_b, multiplier: 10));
        var b = await StartAsync(_b, Bfd(_a, multiplier: 10));
        var up = await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.RemoteDesiredMinTxInterval == 50_000, "b up at 50 ms");
        await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up");

        await a.UpdateAsync(Bfd(_b, txMs: 100, multiplier: 10));

        var changed = await WaitAsync(b, s => s.State!.RemoteDesiredMinTxInterval == 100_000, "b sees a's new 100 ms");
        Assert.Equal(BfdState.Up, changed.SessionState);
        Assert.Equal(up.LastChange, changed.LastChange); // no flap
        var aView = await WaitAsync(a, s => !s.State!.PollActive && s.State.DesiredMinTxInterval == 100_000, "a's Poll completed");
        Assert.Equal(BfdState.Up, aView.SessionState);
    }

    [Fact]
    public async Task ListenerStarved_PacketsQueuedInTheKernel_ReadBeforeDetectionExpires_NoFalseDown()
    {
        // b detects a in 3 × 50 ms = 150 ms, far less than the 1 s its listener is held; a detects b
        // in 40 × 50 ms (2 s, slack for a loaded test run), so only b's side is under test.
        var a = await StartAsync(_a, Bfd(_b, multiplier: 3));
        var b = await StartAsync(_b, Bfd(_a, multiplier: 40));
        await WaitAsync(a, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 2_000_000, "a up, detecting b in 2 s");
        var up = await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 150_000, "b up, detecting a in 150 ms");

        // b's receive loop reads nothing while a sends 20 packets (1 s at 50 ms, over six of b's
        // detection times): they queue in b's socket.
        var sent = a.Service.Sessions["p"].Counters.Sent;
        b.Service.PauseListenersForTest(true);
        Assert.True(await Poll.UntilAsync(() => a.Service.Sessions["p"].Counters.Sent >= sent + 20, s_deadline), "a kept sending while b's listener was held");
        var held = b.Service.Sessions["p"];
        b.Service.PauseListenersForTest(false);

        Assert.True(held.SessionState == BfdState.Up && held.LastChange == up.LastChange,
            $"b left Up while its listener was held: {held.SessionState}, {held.LastChangeReason}, diag {held.State?.LocalDiag}, remote {held.State?.RemoteSessionState}; a: {a.Service.Sessions["p"].SessionState} {a.Service.Sessions["p"].LastChangeReason}");
    }

    [Fact]
    public async Task LoopStalled_PeerSilentLongerThanDetectionTimeMeanwhile_DownAlthoughPacketsWaitAtTheEnd()
    {
        // b detects a in 3 × 50 ms = 150 ms (a's multiplier); a detects b in 40 × 50 ms = 2 s (slack for b's stall).
        var a = await StartAsync(_a, Bfd(_b, multiplier: 3));
        var b = await StartAsync(_b, Bfd(_a, multiplier: 40));
        await WaitAsync(a, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 2_000_000, "a up, detecting b in 2 s");
        await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 150_000, "b up, detecting a in 150 ms");
        var bEvents = b.Service.Subscribe();

        // While b's loop is held for 1.2 s, a sends nothing for 500 ms (more than three of b's
        // detection times) and then sends again: when b reads, packets from after the silence are
        // queued, but the silence happened on the wire, and b must see it (kernel timestamps).
        b.Service.StallLoopForTest(TimeSpan.FromMilliseconds(1200));
        Assert.True(await Poll.UntilAsync(() => b.Service.StalledForTest, s_deadline), "b's loop held");
        a.Service.StallLoopForTest(TimeSpan.FromMilliseconds(500));
        Assert.True(await Poll.UntilAsync(() => a.Service.StalledForTest, s_deadline), "a's loop held");
        Assert.True(await Poll.UntilAsync(() => !a.Service.StalledForTest, s_deadline), "a's loop released");
        Assert.True(b.Service.StalledForTest, "b was still held when a sent again (the box was too slow for this test)");

        Assert.True(await Poll.UntilAsync(() => bEvents.TryPeek(out _), s_deadline), "b changed state after its stall");
        Assert.True(bEvents.TryRead(out var first));
        Assert.Equal(BfdState.Up, first.Change.OldState);
        Assert.Equal(BfdState.Down, first.Change.NewState);
        Assert.Equal(BfdStateChangeReason.DetectionTimeExpired, first.Change.Reason);
    }

    [Fact]
    public async Task LoopStalled_PeerPacketsArrivedInTime_StaysUp()
    {
        var a = await StartAsync(_a, Bfd(_b, multiplier: 3));
        var b = await StartAsync(_b, Bfd(_a, multiplier: 40));
        await WaitAsync(a, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 2_000_000, "a up, detecting b in 2 s");
        var up = await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 150_000, "b up, detecting a in 150 ms");

        // b's whole loop is held for 1 s (over six detection times) while a keeps sending: every
        // packet arrived in time, so reading them late must not take b down.
        var received = b.Service.Sessions["p"].Counters.Received;
        b.Service.StallLoopForTest(TimeSpan.FromSeconds(1));
        Assert.True(await Poll.UntilAsync(() => b.Service.StalledForTest, s_deadline), "b's loop held");
        Assert.True(await Poll.UntilAsync(() => !b.Service.StalledForTest, s_deadline), "b's loop released");
        var after = await WaitAsync(b, s => s.Counters.Received >= received + 15, "b read what queued during its stall");

        Assert.True(after.SessionState == BfdState.Up && after.LastChange == up.LastChange,
            $"b left Up after its stall: {after.SessionState}, {after.LastChangeReason}, diag {after.State?.LocalDiag}");
    }

    [Fact]
    public async Task Started_EveryThreadOfTheProcessGetsTheLoopsPriority()
    {
        // A thread that existed before the service (as the thread pool's and the runtime's do)
        // must be raised too: under workstation GC any thread may run the collection that holds
        // the loop. Root (CI) may raise; elsewhere setpriority refuses and everything stays.
        using var release = new ManualResetEventSlim();
        var tid = 0;
        var thread = new Thread(() =>
        {
            Volatile.Write(ref tid, NativeThread.Id());
            release.Wait();
        })
        { IsBackground = true, Name = "bfd-priority-test" };
        thread.Start();
        Assert.True(await Poll.UntilAsync(() => Volatile.Read(ref tid) != 0, s_deadline), "thread started");
        var before = NativeThread.Nice(tid);

        try
        {
            await StartAsync(_a, Bfd(_b, multiplier: 3));
            if (Environment.UserName == "root")
            {
                Assert.True(await Poll.UntilAsync(() => NativeThread.Nice(tid) == BfdService.LoopNice, s_deadline),
                    $"thread {tid} still at nice {NativeThread.Nice(tid)} (was {before})");
            }
            else
            {
                Assert.Equal(before, NativeThread.Nice(tid));
            }
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>Linux thread ids and nice values from procfs (field 19 of /proc/self/task/TID/stat).</summary>
    private static class NativeThread
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "gettid")]
        private static extern int GetTid();

        public static int Id() => GetTid();

        public static int Nice(int tid)
        {
            var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 19 overall; state is field 3
        }
    }

    [Fact]
    public async Task FloodOnTheListener_SessionStaysUp_ServiceStopsWithinASecond()
    {
        // 50 ms × 10 (500 ms detection at b): the flood competes with b's loop for the CPU.
        var a = await StartAsync(_a, Bfd(_b, multiplier: 10));
        var b = await StartAsync(_b, Bfd(_a, multiplier: 10));
        await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up");
        var up = await WaitAsync(b, s => s.SessionState == BfdState.Up && s.State!.DetectionTime == 500_000, "b up");

        // Version-0 datagrams to b's listener as fast as one thread sends: each is read and dropped
        // (one batch per wake-up, then timers and the other sockets), and a's packets still count.
        using (var flood = DatagramFlood.Udp(new IPEndPoint(IPAddress.Parse(_b), 3784), new byte[24]))
        {
            var received = b.Service.Sessions["p"].Counters.Received;
            await Poll.AssertAsync(() => flood.Sent > 20_000 && b.Service.Sessions["p"].Counters.Received >= received + 20, s_deadline,
                "b kept hearing a during the flood");
            var during = b.Service.Sessions["p"];
            Assert.True(during.SessionState == BfdState.Up && during.LastChange == up.LastChange,
                $"b left Up during the flood: {during.SessionState}, {during.LastChangeReason}");

            var stopping = System.Diagnostics.Stopwatch.StartNew();
            await b.Service.StopAsync(CancellationToken.None).WaitAsync(s_deadline);
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
        }
    }

    [Fact]
    public async Task SendsPerPacketOnOneSide_BatchedOnTheOther_BothUp_EveryPacketCounted()
    {
        var a = await StartAsync(_a, Bfd(_b), useIoUring: false);
        var b = await StartAsync(_b, Bfd(_a));

        // 50 ms once Up: a second of packets each way, sent and received by both paths.
        await WaitAsync(a, s => s.SessionState == BfdState.Up && s.Counters.Sent > 30 && s.Counters.Received > 20, "a up, sending per packet");
        await WaitAsync(b, s => s.SessionState == BfdState.Up && s.Counters.Sent > 30 && s.Counters.Received > 20, "b up, sending batched");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PathRemoved_SaysGoodbye_PeerDownWithNeighborDiag(bool useIoUring)
    {
        var a = await StartAsync(_a, Bfd(_b), useIoUring);
        var b = await StartAsync(_b, Bfd(_a));
        await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up");
        await WaitAsync(b, s => s.SessionState == BfdState.Up, "b up");

        await a.UpdateAsync(null);

        var bDown = await WaitAsync(b, s => s.SessionState == BfdState.Down, "b down after a removed its session");
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, bDown.State!.LocalDiag);
        Assert.False(a.Service.Sessions.ContainsKey("p"));
    }

    [Fact]
    public async Task MalformedAndWrongTtlDatagrams_DroppedAndCounted_SessionStaysUp()
    {
        using var drops = new DropRecorder();

        // 1 s detection: this test asserts that nothing changes, so no scheduling hiccup may flap it.
        var a = await StartAsync(_a, Bfd(_b, txMs: 100, multiplier: 10));
        var b = await StartAsync(_b, Bfd(_a, txMs: 100, multiplier: 10));
        var up = await WaitAsync(b, s => s.SessionState == BfdState.Up, "b up");

        using (var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            attacker.Bind(new IPEndPoint(IPAddress.Parse(_a), 0));
            var to = new IPEndPoint(IPAddress.Parse(_b), 3784);
            attacker.SendTo(new byte[] { 0x20, 0x40 }, to);                             // truncated
            attacker.SendTo(Convert.FromHexString("e04003180000000100000000000f4240000f424000000000"), to); // version 7
            attacker.SendTo(new byte[200], to);                                          // longer than any BFD packet

            // A well-formed packet for b's session, but from one hop away (TTL 254): forged per RFC 5881 §5.
            var state = up.State!;
            var packet = new BfdControlPacket(1, BfdDiagnostic.None, BfdState.Down, BfdControlBits.None, 3, 24,
                state.RemoteDiscr, state.LocalDiscr, 1_000_000, 1_000_000, 0);
            var bytes = new byte[24];
            Assert.True(packet.TryWrite(bytes, out _));
            attacker.Ttl = 254;
            attacker.SendTo(bytes, to);
        }

        await drops.WaitForAsync(["truncated", "version_mismatch", "too_long", "ttl"], s_deadline);

        // Six more of a's packets (more than half a detection time, read after the forged ones on
        // the same socket): had the forged Down counted, b would have left Up by then.
        var received = b.Service.Sessions["p"].Counters.Received;
        var after = await WaitAsync(b, s => s.Counters.Received >= received + 6, "b kept receiving a's packets");
        Assert.Equal(BfdState.Up, after.SessionState);
        Assert.Equal(up.LastChange, after.LastChange);
        Assert.True(after.Counters.Dropped >= 1);
    }

    [Fact]
    public async Task LocalAddressNotOnHost_ErrorInView_NoCrash()
    {
        var node = await StartAsync("192.0.2.77", Bfd("192.0.2.78"));

        var view = await WaitAsync(node, s => s.Error is not null, "open failure reported");

        Assert.Contains("not on this host", view.Error, StringComparison.Ordinal);
        Assert.Null(view.State);
        Assert.Null(view.OpenedAt);
        Assert.Equal(BfdState.Down, view.SessionState);
    }

    [Fact]
    public async Task Authentication_MeticulousSha1_Up_WrongKeyCountedAndDown()
    {
        var a = await StartAsync(_a, Bfd(_b, auth: new(BfdAuthMode.MeticulousKeyedSha1, 5, "twenty-byte-secret!!")));
        var b = await StartAsync(_b, Bfd(_a, auth: new(BfdAuthMode.MeticulousKeyedSha1, 5, "twenty-byte-secret!!")));
        await WaitAsync(a, s => s.SessionState == BfdState.Up, "a up with SHA1");
        await WaitAsync(b, s => s.SessionState == BfdState.Up, "b up with SHA1");

        await b.UpdateAsync(Bfd(_a, auth: new(BfdAuthMode.MeticulousKeyedSha1, 5, "another-secret")));

        var aDown = await WaitAsync(a, s => s.SessionState == BfdState.Down && s.Counters.AuthFailures > 0, "a down, counting b's bad digests");
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, aDown.State!.LocalDiag);
    }

    /// <summary>Counts <c>patronus.bfd.packets_dropped</c> by reason.</summary>
    private sealed class DropRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly HashSet<string> _reasons = [];

        public DropRecorder()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == BfdMetrics.MeterName && instrument.Name == "patronus.bfd.packets_dropped")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        lock (_reasons)
                        {
                            _reasons.Add((string)tag.Value!);
                        }
                    }
                }
            });
            _listener.Start();
        }

        public async Task WaitForAsync(string[] reasons, TimeSpan timeout)
        {
            bool AllSeen()
            {
                lock (_reasons)
                {
                    return reasons.All(_reasons.Contains);
                }
            }

            if (!await Poll.UntilAsync(AllSeen, timeout))
            {
                lock (_reasons)
                {
                    Assert.Fail($"drop reasons seen: {string.Join(", ", _reasons)}; expected {string.Join(", ", reasons)}");
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A store, a topology with one API path "p" from <c>local</c>, and a running service.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private readonly DirectoryInfo _dir;
        private readonly SqliteStore _store;
        private readonly TopologyService _topology;
        private readonly BfdMetrics _metrics = new();
        private readonly string _local;

        private Node(DirectoryInfo dir, SqliteStore store, TopologyService topology, string local, bool useIoUring)
        {
            _dir = dir;
            _store = store;
            _topology = topology;
            _local = local;
            Service = new BfdService(topology, _metrics, TimeProvider.System, NullLogger<BfdService>.Instance, random: null, useIoUring);
        }

        public BfdService Service { get; }

        public static async Task<Node> StartAsync(string local, BfdPathSettings? bfd, bool useIoUring = true)
        {
            var dir = Directory.CreateTempSubdirectory("patronus-bfd-");
            Assert.True(StoreLocation.TryParse("sqlite:" + Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
            var store = new SqliteStore(location!, TimeProvider.System);
            await store.MigrateAsync();
            var topology = new TopologyService(store);
            Assert.True((await topology.InitializeAsync(TopologySnapshot.Empty)).Succeeded);
            Assert.True((await topology.WriteAsync((s, ct) => s.InsertSiteAsync(new Site("s", "s", null, ItemSource.Api), ct))).Succeeded);
            Assert.True((await topology.WriteAsync((s, ct) => s.InsertLinkAsync(new WanLink("l", "s", "l", null, local, null, 10, ItemSource.Api), ct))).Succeeded);
            Assert.True((await topology.WriteAsync((s, ct) => s.InsertPathAsync(PathWith(local, bfd), ct))).Succeeded);
            var node = new Node(dir, store, topology, local, useIoUring);
            await node.Service.StartAsync(CancellationToken.None);
            return node;
        }

        public async Task UpdateAsync(BfdPathSettings? bfd) =>
            Assert.True((await _topology.WriteAsync((s, ct) => s.UpdatePathAsync(PathWith(_local, bfd), ct))).Succeeded);

        private static PathDefinition PathWith(string local, BfdPathSettings? bfd) =>
            new("p", "p", "l", null, [bfd?.Peer ?? local], ItemSource.Api, Bfd: bfd);

        public async ValueTask DisposeAsync()
        {
            await Service.StopAsync(CancellationToken.None);
            Service.Dispose();
            _topology.Dispose();
            await _store.DisposeAsync();
            _metrics.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _dir.Delete(recursive: true);
        }
    }
}
