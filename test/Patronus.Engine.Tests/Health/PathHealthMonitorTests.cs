using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Health;

/// <summary>
/// The monitor driven step by step on a fake clock, with in-memory probe sessions whose "network"
/// the test controls: replies come back after a fixed RTT (on monotonic time, as a real network's
/// do) unless the target is blacked out.
/// </summary>
public sealed partial class PathHealthMonitorTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(5);

    private readonly SteppableTimeProvider _clock = new(s_t0);
    private readonly FakeNetwork _net;
    private readonly RecordingSink _sink = new();
    private readonly HealthState _state = new();
    private readonly HealthOptions _options = new();

    private readonly FakeLiveness _liveness = new();
    private readonly FakePassive _passive = new();
    private readonly HealthMetrics _metrics = new();

    // True: replies reach the "kernel queue" (FakeNetwork) but no receive loop takes them; only
    // the monitor's own IProbeSessionFactory.ReceivePending does.
    private bool _receiveLoopStarved;

    public PathHealthMonitorTests()
    {
        _net = new FakeNetwork(_clock);
    }

    public void Dispose() => _metrics.Dispose();

    private PathHealthMonitor CreateMonitor(params IProbeSessionFactory[] factories) =>
        CreateMonitor(NullLogger<PathHealthMonitor>.Instance, factories);

    private PathHealthMonitor CreateMonitor(ILogger<PathHealthMonitor> logger, params IProbeSessionFactory[] factories) =>
        new(null!, _state, _sink, factories.Length == 0 ? [new FakeFactory(ProbeProtocol.Stamp, _net)] : factories,
            Options.Create(_options), _clock, logger, _liveness, metrics: _metrics, passive: _passive);

    private static TopologySnapshot Topology(params PathDefinition[] paths) => new(
        [new Site("s", "s", null, ItemSource.Config)],
        [new WanLink("l", "s", "l", null, "127.0.0.1", null, 10, ItemSource.Config)],
        paths);

    private static PathDefinition Path(string id, int quorum = 1, ProbeProtocol probe = ProbeProtocol.Stamp, params string[] targets) =>
        new(id, id, "l", null, targets.Length == 0 ? ["10.240.0.1:862"] : targets, ItemSource.Config, probe, quorum);

    /// <summary>Advances the clock in small steps, delivering due replies and iterating the monitor.</summary>
    private void Run(PathHealthMonitor monitor, TimeSpan duration, Func<bool>? until = null)
    {
        var start = _clock.GetTimestamp();
        while (_clock.GetElapsedTime(start) < duration)
        {
            if (!_receiveLoopStarved)
            {
                _net.Deliver();
            }

            monitor.Iterate();
            if (until?.Invoke() == true)
            {
                return;
            }

            _clock.Advance(s_step);
        }
    }

    [Fact]
    public void HealthyPath_UpWithMeasuredLatency()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        // The first probe is at a hash of the id in [0, 500 ms), which differs per process: two
        // steps past 5 s give the tenth probe its turn whatever the hash.
        Run(monitor, TimeSpan.FromMilliseconds(5010));

        var h = _state.Get("p")!;
        Assert.Equal(PathStatus.Up, h.Status);
        Assert.Equal(100, h.HealthScore);
        Assert.InRange(h.LatencyMs, 19.9, 20.1); // FakeNetwork RTT is 20 ms
        Assert.Equal(0, h.PacketLossPct);
        // Two probes per second per target at the normal rate (Interval 500 ms).
        Assert.InRange(_net.Sent("10.240.0.1:862"), 10, 11);
        // First transition: none → Up.
        var t = Assert.Single(_sink.Transitions);
        Assert.Null(t.Previous);
        Assert.Equal(PathStatus.Up, t.Current.Status);
    }

    [Fact]
    public void Blackout_DownWithin200msOfFirstLostProbe_AndWithin750msOfCut()
    {
        using var changes = new MetricCollector<long>(_metrics.Meter, "patronus.health.status_changes");
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));

        // Worst case: the cut falls just after a probe was answered.
        var sentBefore = _net.Sent("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(2), () => _net.Sent("10.240.0.1:862") > sentBefore && _net.InFlight == 0);
        var cut = _clock.GetTimestamp();
        _net.Blackout("10.240.0.1:862");
        long? firstLostSend = null;
        var sentAtCut = _net.Sent("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(3), () =>
        {
            if (firstLostSend is null && _net.Sent("10.240.0.1:862") > sentAtCut)
            {
                firstLostSend = _clock.GetTimestamp();
            }

            return _state.Get("p")!.Status == PathStatus.Down;
        });

        var down = _clock.GetTimestamp();
        Assert.Equal(PathStatus.Down, _state.Get("p")!.Status);
        var afterFirstLost = _clock.GetElapsedTime(firstLostSend!.Value, down);
        var afterCut = _clock.GetElapsedTime(cut, down);
        Assert.True(afterFirstLost <= TimeSpan.FromMilliseconds(200), $"{afterFirstLost.TotalMilliseconds} ms after the first lost probe");
        // One 500 ms interval until the first lost probe leaves, then ~200 ms: under the 1 s bar.
        Assert.True(afterCut <= TimeSpan.FromMilliseconds(750), $"{afterCut.TotalMilliseconds} ms after the cut");
        Assert.Contains(_sink.Transitions, t => t.Current.Status == PathStatus.Down && t.Previous?.Status == PathStatus.Up);
        // The status-change counter saw both: the first measurement and the fall.
        var counted = changes.GetMeasurementSnapshot();
        Assert.Equal(1, counted.Count(m => (string?)m.Tags["from"] == "none" && (string?)m.Tags["to"] == "up"));
        Assert.Equal(1, counted.Count(m => (string?)m.Tags["from"] == "up" && (string?)m.Tags["to"] == "down"));
        Assert.Equal(2, counted.Count);
    }

    [Fact]
    public void StarvedReceiveLoop_RepliesQueuedInTime_ReadBeforeExpiry_NoLossNoJitter()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);

        // The replies keep arriving on time, but the receive loop gets no CPU: only the monitor's
        // read before it expires a probe takes them.
        _receiveLoopStarved = true;
        Run(monitor, TimeSpan.FromSeconds(10));

        var h = _state.Get("p")!;
        Assert.Equal(PathStatus.Up, h.Status);
        Assert.Equal(0, h.PacketLossPct);
        Assert.InRange(h.LatencyMs, 19.9, 20.1);
        Assert.InRange(h.JitterMs, 0, 0.1);
        Assert.True(_net.ReceivePendingCalls > 0);
        Assert.Single(_sink.Transitions); // none → Up, and nothing after
    }

    [Fact]
    public void StarvedReceiveLoop_NothingQueued_StillDown()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));

        _receiveLoopStarved = true;
        _net.Blackout("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(3), () => _state.Get("p")!.Status == PathStatus.Down);

        Assert.Equal(PathStatus.Down, _state.Get("p")!.Status);
    }

    [Fact]
    public void Blackout_EveryProbeLost_HundredPercentKeepsLatency_ThenSlowsToNormalRate()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(3));
        _net.Blackout("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(40)); // longer than the 30 s window

        var h = _state.Get("p")!;
        Assert.Equal(100, h.PacketLossPct);
        Assert.InRange(h.LatencyMs, 19.9, 20.1);
        Assert.Equal(0, h.HealthScore);

        // Confirmed down after 3 losses: back to the normal 2 probes/s, not 10/s.
        var before = _net.Sent("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(10));
        Assert.InRange(_net.Sent("10.240.0.1:862") - before, 19, 21);
    }

    [Fact]
    public void Recovery_FastProbingThenUpOnceLossesLeaveWindow()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(3));
        _net.Blackout("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(5));
        Assert.Equal(PathStatus.Down, _state.Get("p")!.Status);

        _net.Restore("10.240.0.1:862");
        var before = _net.Sent("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(1));
        // While proving itself the target is probed at the fast rate for ConfirmCount answers.
        Assert.InRange(_net.Sent("10.240.0.1:862") - before, 3, 6);
        Run(monitor, TimeSpan.FromSeconds(40), () => _state.Get("p")!.Status == PathStatus.Up);
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);
    }

    [Fact]
    public void Quorum_OneFlakyTargetOfTwo_PathStaysUp_UnlessQuorumTwo()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(
            Path("k1", 1, ProbeProtocol.Stamp, "10.240.0.1:862", "10.240.0.2:862"),
            Path("k2", 2, ProbeProtocol.Stamp, "10.240.0.3:862", "10.240.0.4:862")));
        _net.Blackout("10.240.0.2:862");
        _net.Blackout("10.240.0.4:862");
        Run(monitor, TimeSpan.FromSeconds(10));

        Assert.Equal(PathStatus.Up, _state.Get("k1")!.Status);
        Assert.Equal(1, _state.Get("k1")!.TargetsUp);
        Assert.Equal(PathStatus.Down, _state.Get("k2")!.Status);
        Assert.Contains("quorum", _state.Get("k2")!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Samples_RecordedEverySampleInterval()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(10));
        Assert.InRange(_sink.Samples.Count(s => s.PathId == "p"), 8, 10);
        Assert.All(_sink.Samples, s => Assert.Equal(PathStatus.Up, s.Status));
    }

    [Fact]
    public void SessionCannotOpen_PathDownWithRetry()
    {
        _net.Refuse = "address 192.0.2.1 is not on this host";
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(5));
        Assert.Equal(PathStatus.Down, _state.Get("p")!.Status);
        Assert.Equal(1, _net.CreateAttempts);

        _net.Refuse = null;
        Run(monitor, TimeSpan.FromSeconds(_options.SessionRetry.TotalSeconds + 35), () => _state.Get("p")!.Status == PathStatus.Up);
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);
        Assert.Equal(2, _net.CreateAttempts);
    }

    [Fact]
    public void IcmpUnavailable_FallsBackToStampOnPort862()
    {
        var icmp = new FakeFactory(ProbeProtocol.Icmp, _net) { Failure = "ICMP probes need root or CAP_NET_RAW" };
        var monitor = CreateMonitor(icmp, new FakeFactory(ProbeProtocol.Stamp, _net));
        monitor.ApplyTopologyForTest(Topology(Path("p", 1, ProbeProtocol.Icmp, "10.240.0.9")));
        Run(monitor, TimeSpan.FromSeconds(3));
        Assert.True(_net.Sent("10.240.0.9:862") > 0);
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);
    }

    [Fact]
    public void TopologyChange_RemovedPathStopsAndClosesSession_AddedPathStarts()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("a")));
        Run(monitor, TimeSpan.FromSeconds(2));
        monitor.ApplyTopologyForTest(Topology(Path("b", 1, ProbeProtocol.Stamp, "10.240.0.7:862")));
        var sentA = _net.Sent("10.240.0.1:862");
        Run(monitor, TimeSpan.FromSeconds(3));

        Assert.Equal(sentA, _net.Sent("10.240.0.1:862"));
        Assert.Equal(1, _net.Disposed);
        Assert.Null(_state.Get("a"));
        Assert.Equal(PathStatus.Up, _state.Get("b")!.Status);
    }

    [Fact]
    public void BfdDown_TakesAHealthyPathDownAtOnce_BfdUpGivesItBack()
    {
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("p")));
        Run(monitor, TimeSpan.FromSeconds(3));
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);

        _liveness.Opinions["p"] = new PathLiveness(0, "BFD down (control_detection_time_expired)");
        monitor.LivenessChanged();
        monitor.Iterate();

        var down = _state.Get("p")!;
        Assert.Equal(PathStatus.Down, down.Status);
        Assert.Equal(0, down.HealthScore);
        Assert.StartsWith("BFD down", down.Reason, StringComparison.Ordinal);
        Assert.True(down.LatencyMs > 0); // the probes' measurements stay visible
        Assert.Contains(_sink.Transitions, t => t.Current.Status == PathStatus.Down && t.Previous?.Status == PathStatus.Up);

        _liveness.Opinions["p"] = new PathLiveness(100, "BFD up");
        monitor.LivenessChanged();
        monitor.Iterate();
        Assert.Equal(PathStatus.Up, _state.Get("p")!.Status);
    }

    [Fact]
    public void LivenessChanged_OnePathsOpinionChanged_OnlyThatPathEvaluatedAgain()
    {
        // 1,000 BFD sessions coming up or flapping re-evaluated every path per change, and the
        // garbage of those evaluations stalled BFD itself (issue 14): only a changed opinion counts.
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("a"), Path("b")));
        _liveness.Opinions["a"] = new PathLiveness(100, "BFD up");
        _liveness.Opinions["b"] = new PathLiveness(100, "BFD up");
        Run(monitor, TimeSpan.FromSeconds(3));
        Assert.Equal(PathStatus.Up, _state.Get("b")!.Status);
        var b = _state.Get("b");

        _liveness.Opinions["a"] = new PathLiveness(0, "BFD down (control_detection_time_expired)");
        monitor.LivenessChanged();
        var askedForB = _liveness.AskedDuringEvaluation("b", () => monitor.Iterate());

        Assert.Equal(PathStatus.Down, _state.Get("a")!.Status);
        Assert.Equal(0, askedForB); // b was not evaluated again
        Assert.Same(b, _state.Get("b"));
    }

    private sealed class FakeLiveness : IPathLivenessSource
    {
        private readonly Dictionary<string, int> _asked = [];

        public Dictionary<string, PathLiveness> Opinions { get; } = [];

        public Patronus.Engine.Loops.ChangeSignal Changed { get; } = new();

        public PathLiveness? Liveness(string pathId)
        {
            _asked[pathId] = _asked.GetValueOrDefault(pathId) + 1;
            return Opinions.TryGetValue(pathId, out var l) ? l : null;
        }

        /// <summary>How often <paramref name="pathId"/>'s opinion was asked for while <paramref name="action"/> ran.</summary>
        public int AskedDuringEvaluation(string pathId, Action action)
        {
            var before = _asked.GetValueOrDefault(pathId);
            action();
            return _asked.GetValueOrDefault(pathId) - before;
        }
    }

    private sealed class RecordingSink : IHealthSink
    {
        public List<PathHealthSample> Samples { get; } = [];

        public List<(PathHealthSnapshot? Previous, PathHealthSnapshot Current)> Transitions { get; } = [];

        public void Sample(PathHealthSample sample) => Samples.Add(sample);

        public void Transition(PathHealthSnapshot? previous, PathHealthSnapshot current) => Transitions.Add((previous, current));
    }

    /// <summary>A pretend network: each probe is answered after 20 ms of monotonic time unless its target is blacked out.</summary>
    private sealed class FakeNetwork(TimeProvider clock)
    {
        private readonly Dictionary<string, int> _sent = [];
        private readonly HashSet<string> _blackout = [];
        private readonly List<(long At, Action Deliver)> _inFlight = [];

        public string? Refuse { get; set; }

        public int CreateAttempts { get; set; }

        public int Disposed { get; set; }

        public int InFlight => _inFlight.Count;

        public int Sent(string target) => _sent.GetValueOrDefault(target);

        public void Blackout(string target) => _blackout.Add(target);

        public void Restore(string target) => _blackout.Remove(target);

        public void Send(string target, uint sequence, Action<ProbeReply> onReply)
        {
            _sent[target] = Sent(target) + 1;
            if (!_blackout.Contains(target))
            {
                var at = clock.GetTimestamp() + (TimeSpan.FromMilliseconds(20).Ticks * clock.TimestampFrequency / TimeSpan.TicksPerSecond);
                _inFlight.Add((at, () => onReply(new ProbeReply(sequence, TimeSpan.FromMilliseconds(20)))));
            }
        }

        public int ReceivePendingCalls { get; set; }

        public int Deliver()
        {
            var now = clock.GetTimestamp();
            var due = _inFlight.Where(f => f.At <= now).ToList();
            foreach (var reply in due)
            {
                _inFlight.Remove(reply);
                reply.Deliver();
            }

            return due.Count;
        }
    }

    private sealed class FakeFactory(ProbeProtocol protocol, FakeNetwork net) : IProbeSessionFactory
    {
        public ProbeProtocol Protocol { get; } = protocol;

        public string? Failure { get; init; }

        public bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure)
        {
            net.CreateAttempts++;
            failure = Failure ?? net.Refuse;
            session = failure is null ? new FakeSession(target.Remote.ToString(), onReply, net) : null;
            return session is not null;
        }

        public int ReceivePending()
        {
            net.ReceivePendingCalls++;
            return net.Deliver();
        }
    }

    private sealed class FakeSession(string target, Action<ProbeReply> onReply, FakeNetwork net) : IProbeSession
    {
        public ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken)
        {
            net.Send(target, sequence, onReply);
            return ValueTask.FromResult(true);
        }

        public ValueTask DisposeAsync()
        {
            net.Disposed++;
            return ValueTask.CompletedTask;
        }
    }
}
