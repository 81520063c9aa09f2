using Patronus.Engine.Health;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Tests.Health;

// Batched sends: the monitor queues every probe due in one iteration and flushes once at its end
// (STAMP: one sendmmsg per shared socket). Which probes share a flush is decided by the loop's
// steps alone: those whose send time fell due since the previous iteration.
public sealed partial class PathHealthMonitorTests
{
    [Theory]
    [InlineData(1)]     // a loop waking every millisecond (10,000 paths at 1/s: ~10 probes a flush)
    [InlineData(5)]
    [InlineData(50)]    // a loop held up for 50 ms: everything due meanwhile leaves in one flush
    [InlineData(500)]   // the whole first round at once
    public void Iterate_ProbesDueInOneStep_QueuedAndFlushedTogether(int stepMs)
    {
        _options.BatchSends = true;
        var factory = new BatchingFactory(_net);
        var monitor = CreateMonitor(factory);
        var ids = Enumerable.Range(0, 200).Select(i => $"p{i:000}").ToArray();
        monitor.ApplyTopologyForTest(Topology([.. ids.Select(id => Path(id))]));
        var step = TimeSpan.FromMilliseconds(stepMs);

        // Expected: the first probes grouped by the first iteration at or after their offset.
        var expected = ids
            .Select(id => PathHealthMonitor.FirstSendOffset(id, _options.Interval))
            .GroupBy(offset => (offset.Ticks + step.Ticks - 1) / step.Ticks)
            .OrderBy(g => g.Key)
            .Select(g => g.Count())
            .ToArray();

        // Up to the interval itself: an offset in (interval − step, interval) falls due there.
        for (var elapsed = TimeSpan.Zero; elapsed <= _options.Interval; elapsed += step)
        {
            monitor.Iterate();
            Assert.Equal(0, factory.Queued); // nothing waits past its iteration
            _clock.Advance(step);
        }

        Assert.Equal(expected, factory.Batches.Where(n => n > 0));
        Assert.Equal(200, _net.Sent("10.240.0.1:862"));
    }

    [Fact]
    public void Iterate_BatchedSends_PathsMeasuredAsWithSingleSends()
    {
        _options.BatchSends = true;
        var monitor = CreateMonitor(new BatchingFactory(_net));
        monitor.ApplyTopologyForTest(Topology(Path("a"), Path("b"), Path("c")));

        Run(monitor, TimeSpan.FromSeconds(3));

        Assert.All(["a", "b", "c"], id => Assert.Equal(PathStatus.Up, _state.Get(id)!.Status));
        Assert.InRange(_state.Get("a")!.LatencyMs, 19.9, 20.1); // FakeNetwork RTT is 20 ms
    }

    [Fact]
    public void Iterate_NoProbeDue_FlushesNothing()
    {
        var factory = new BatchingFactory(_net);
        var monitor = CreateMonitor(factory);
        monitor.ApplyTopologyForTest(Topology());

        monitor.Iterate();
        monitor.Iterate();

        Assert.Equal([0, 0], factory.Batches);
    }

    [Fact]
    public void Iterate_BatchSendsOff_EachProbeSentAloneAtOnce()
    {
        // The default: a probe is sent (and stamped) on its own, so a preemption of the sender
        // inside one system call cannot delay the probes after it (HealthOptions.BatchSends).
        var monitor = CreateMonitor();
        monitor.ApplyTopologyForTest(Topology(Path("a"), Path("b")));

        // A path's first probe is at a hash of its id in [0, 500 ms) (string hashes differ per
        // process): 1 s plus two steps gives each path its second probe whatever the hash.
        Run(monitor, TimeSpan.FromMilliseconds(1010));

        Assert.False(new HealthOptions().BatchSends);
        Assert.InRange(_net.Sent("10.240.0.1:862"), 4, 6);
    }

    /// <summary>Sessions that queue; the factory's flush sends the queue through the fake network and records its size.</summary>
    private sealed class BatchingFactory(FakeNetwork net) : IProbeSessionFactory
    {
        private readonly List<(string Target, uint Sequence, Action<ProbeReply> OnReply)> _queue = [];

        public ProbeProtocol Protocol => ProbeProtocol.Stamp;

        public int Queued => _queue.Count;

        public List<int> Batches { get; } = [];

        public bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure)
        {
            failure = null;
            session = new QueueingSession(this, target.Remote.ToString(), onReply);
            return true;
        }

        public int FlushSends()
        {
            foreach (var (target, sequence, onReply) in _queue)
            {
                net.Send(target, sequence, onReply);
            }

            Batches.Add(_queue.Count);
            var sent = _queue.Count;
            _queue.Clear();
            return sent;
        }

        public int ReceivePending() => net.Deliver();

        private sealed class QueueingSession(BatchingFactory owner, string target, Action<ProbeReply> onReply) : IProbeSession
        {
            // The monitor queues: a probe sent alone would not be in any batch.
            public ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken) =>
                throw new InvalidOperationException("the monitor queues its probes");

            public void QueueSend(uint sequence) => owner._queue.Add((target, sequence, onReply));

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
