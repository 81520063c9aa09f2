using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Net;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>
/// Batched probe sends (<see cref="StampSocket.QueueSend"/> / <see cref="StampProbeSessionFactory.FlushSends"/>)
/// and batched reflector replies: real sockets and real reflectors on loopback, polled with
/// deadlines; a fake clock where the test is about the timestamps.
/// </summary>
public sealed class StampSendBatchTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    private readonly RecordedProbeMetrics _metrics = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _metrics.Dispose();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(StampSocket.SendBatchCapacity - 1, 1)]
    [InlineData(StampSocket.SendBatchCapacity, 1)]
    [InlineData(StampSocket.SendBatchCapacity + 1, 2)]       // the full batch leaves when the 65th is queued, the 65th at the flush
    [InlineData((3 * StampSocket.SendBatchCapacity) + 5, 4)]
    public async Task FlushSends_ProbesQueuedOnOneSocket_OneSendmmsgPerBatchAndEverySessionGetsItsOwnReply(int sessions, int expectedCalls)
    {
        if (!UdpSendBatch.IsSupported)
        {
            return; // sendmmsg: 64-bit Linux
        }

        var factory = Factory(TimeProvider.System, NullLogger<StampProbeSessionFactory>.Instance);
        var reflectors = Enumerable.Range(0, 3).Select(_ => StartReflector()).ToArray();
        var replies = Enumerable.Range(0, sessions).Select(_ => new ConcurrentQueue<ProbeReply>()).ToArray();
        var created = Enumerable.Range(0, sessions)
            .Select(i => Create(factory, ProbeTargets.For(reflectors[i % reflectors.Length].LocalEndPoint), replies[i].Enqueue))
            .ToArray();
        Assert.Single(created.Select(s => s.Socket).Distinct());

        // Disjoint sequences: a reply routed to another session would be unmatched there.
        for (var i = 0; i < sessions; i++)
        {
            created[i].QueueSend((uint)(1_000 * (i + 1)));
        }

        var sentBeforeFlush = _metrics.Count("patronus.probe.sent", "stamp");
        var sent = factory.FlushSends();

        Assert.Equal(sessions, sentBeforeFlush + sent);
        Assert.Equal(sessions, _metrics.Count("patronus.probe.sent", "stamp"));
        Assert.Equal(expectedCalls, _metrics.Count("patronus.probe.send_calls", "stamp"));
        Assert.Equal(0, created[0].Socket.QueuedSends);
        Assert.Equal(0, factory.FlushSends()); // nothing left
        await Poll.AssertAsync(() => replies.All(r => r.Count == 1), s_timeout, $"one reply per session ({replies.Count(r => r.Count == 1)} of {sessions})");
        for (var i = 0; i < sessions; i++)
        {
            Assert.True(replies[i].TryPeek(out var reply));
            Assert.Equal((uint)(1_000 * (i + 1)), reply.Sequence);
        }

        Assert.Equal(0, _metrics.Dropped("stamp", "unmatched"));
        Assert.Equal(sessions, _metrics.Count("patronus.reflector.reflected"));

        // The reflectors answered a burst with fewer system calls than replies.
        Assert.InRange(_metrics.Count("patronus.probe.send_calls", "reflector"), Math.Min(reflectors.Length, sessions), sessions);
    }

    [Fact]
    public async Task FlushSends_KernelRefusesOneProbeOfTheBatch_CountedAndLoggedForThatSessionOnly()
    {
        if (!UdpSendBatch.IsSupported)
        {
            return; // sendmmsg: 64-bit Linux
        }

        var logger = new FakeLogger<StampProbeSessionFactory>();
        var factory = Factory(TimeProvider.System, logger);
        var reflector = StartReflector();
        var before = new ConcurrentQueue<ProbeReply>();
        var after = new ConcurrentQueue<ProbeReply>();
        var first = Create(factory, ProbeTargets.For(reflector.LocalEndPoint), before.Enqueue);

        // Linux refuses a datagram to the broadcast address without SO_BROADCAST (EACCES): nothing leaves.
        var refused = Create(factory, ProbeTargets.For(new IPEndPoint(IPAddress.Broadcast, 862)), _ => { });
        var last = Create(factory, ProbeTargets.For(reflector.LocalEndPoint), after.Enqueue);
        Assert.Same(first.Socket, refused.Socket);

        for (var round = 1u; round <= 2; round++)
        {
            first.QueueSend(round);
            refused.QueueSend(round);
            last.QueueSend(round);
            Assert.Equal(2, factory.FlushSends());
        }

        Assert.Equal(4, _metrics.Count("patronus.probe.sent", "stamp"));
        Assert.Equal(2, _metrics.Count("patronus.probe.send_failed", "stamp"));
        var log = logger.Collector.GetSnapshot();
        var failing = Assert.Single(log, e => e.Id.Id == 3217);
        Assert.Contains("255.255.255.255:862", failing.Message, StringComparison.Ordinal);
        Assert.Equal(2, log.Count(e => e.Id.Id == 3211 && e.Message.Contains("255.255.255.255:862", StringComparison.Ordinal)));
        Assert.DoesNotContain(log, e => e.Id.Id is 3211 or 3217 && !e.Message.Contains("255.255.255.255", StringComparison.Ordinal));

        // The datagrams after the refused one went out too, and came back to their sessions.
        await Poll.AssertAsync(() => before.Count == 2 && after.Count == 2, s_timeout, $"replies {before.Count} / {after.Count}");
        Assert.Equal([1u, 2u], after.Select(r => r.Sequence));
    }

    [Fact]
    public async Task FlushSends_T1AndSendTimeTakenAtTheFlushNotWhenQueued()
    {
        if (!UdpSendBatch.IsSupported)
        {
            return; // sendmmsg: 64-bit Linux
        }

        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 18, 0, 0, TimeSpan.Zero));
        var factory = Factory(clock, NullLogger<StampProbeSessionFactory>.Instance);
        using var fake = FakeStampReflector.Open();
        var replies = new ConcurrentQueue<ProbeReply>();
        var session = Create(factory, ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), replies.Enqueue);

        session.QueueSend(7);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        var flushedAt = clock.GetUtcNow();
        Assert.Equal(1, factory.FlushSends());

        var (probe, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);
        Assert.Equal(NtpTimestamp.FromDateTimeOffset(flushedAt), probe.Timestamp);

        // The reply (hold time 0) arrives 2 ms of fake time after the flush: the round trip is
        // measured from the flush (2 ms), not from the queueing (7 ms).
        clock.Advance(TimeSpan.FromMilliseconds(2));
        await fake.SendToAsync(FakeStampReflector.Reply(probe), sender);
        await Poll.AssertAsync(() => !replies.IsEmpty, s_timeout, "the reply");
        Assert.True(replies.TryPeek(out var reply));
        Assert.Equal(7u, reply.Sequence);
        // Within 20 µs: the fake clock's timestamps count from year 1, and the socket's tick
        // conversion (through a double) keeps ~13 µs of them; a real clock's count from boot.
        Assert.InRange(reply.RoundTrip, TimeSpan.FromMilliseconds(1.98), TimeSpan.FromMilliseconds(2.02));
    }

    [Fact]
    public async Task QueueSend_SessionDisposed_NothingQueued()
    {
        var factory = Factory(TimeProvider.System, NullLogger<StampProbeSessionFactory>.Instance);
        var reflector = StartReflector();
        var keep = Create(factory, ProbeTargets.For(reflector.LocalEndPoint), _ => { });
        var gone = Create(factory, ProbeTargets.For(reflector.LocalEndPoint), _ => { }, own: false);
        await gone.DisposeAsync();

        gone.QueueSend(1);

        Assert.Equal(0, keep.Socket.QueuedSends);
        Assert.Equal(0, factory.FlushSends());
    }

    [Fact]
    public async Task FlushSends_SocketClosedWithProbesQueued_DropsThemWithoutThrowing()
    {
        if (!UdpSendBatch.IsSupported)
        {
            return; // sendmmsg: 64-bit Linux
        }

        var factory = Factory(TimeProvider.System, NullLogger<StampProbeSessionFactory>.Instance);
        var reflector = StartReflector();
        var session = Create(factory, ProbeTargets.For(reflector.LocalEndPoint), _ => { }, own: false);
        session.QueueSend(1);

        await session.DisposeAsync(); // its socket's last session: the socket closes

        Assert.True(session.Socket.IsClosed);
        Assert.Equal(0, factory.FlushSends());
        Assert.Equal(0, _metrics.Count("patronus.probe.sent", "stamp"));
    }

    private StampProbeSessionFactory Factory(TimeProvider clock, Microsoft.Extensions.Logging.ILogger<StampProbeSessionFactory> logger)
    {
        var factory = new StampProbeSessionFactory(clock, _metrics.Metrics, logger);
        _owned.Add(factory);
        return factory;
    }

    private StampReflector StartReflector()
    {
        var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, _metrics.Metrics, NullLogger.Instance);
        _owned.Add(reflector);
        return reflector;
    }

    private StampProbeSession Create(StampProbeSessionFactory factory, ProbeTarget target, Action<ProbeReply> onReply, bool own = true)
    {
        Assert.True(factory.TryCreate(target, onReply, out var session, out var failure), failure);
        if (own)
        {
            _owned.Add(session!);
        }

        return (StampProbeSession)session!;
    }
}
