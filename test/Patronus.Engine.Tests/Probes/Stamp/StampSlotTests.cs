using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>
/// Sessions to one reflector sharing a socket, told apart by the slot in the high bits of the
/// sequence the reflector echoes (<see cref="StampSlotTable"/>): real and fake reflectors on
/// loopback; polls with deadlines, no fixed sleeps.
/// </summary>
public sealed class StampSlotTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);
    private readonly RecordedProbeMetrics _metrics = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private StampProbeSessionFactory _factory;

    public StampSlotTests()
    {
        _factory = NewFactory(TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _factory.DisposeAsync();
        _metrics.Dispose();
    }

    [Theory]
    [InlineData(0, 5u, 0x0000_0005u)]
    [InlineData(1, 5u, 0x0010_0005u)]
    [InlineData(0, 0x0010_0000u, 0x0000_0000u)]
    [InlineData(1, 0x0010_0000u, 0x0010_0000u)]
    [InlineData(4095, 0xFFFF_FFFFu, 0xFFFF_FFFFu)]
    [InlineData(7, 0xABCD_EF12u, 0x007D_EF12u)]
    public void ToWire_SlotAndSequence_SlotInHigh12BitsSequenceInLow20(int slot, uint sequence, uint wire)
    {
        Assert.Equal(wire, StampSlotTable.ToWire(slot, sequence));
        Assert.Equal(slot, StampSlotTable.SlotOf(wire));
    }

    [Fact]
    public async Task TryCreate_ManySessionsToOneReflector_ShareOneSocketAndEachGetsOnlyItsReplies()
    {
        const int Sessions = 40;
        var reflector = StartReflector();
        var replies = Enumerable.Range(0, Sessions).Select(_ => new ConcurrentQueue<ProbeReply>()).ToArray();
        var sessions = replies.Select(q => Create(ProbeTargets.For(reflector.LocalEndPoint), q.Enqueue)).ToArray();

        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.Single(sessions.Select(s => s.Socket).Distinct());
        Assert.Equal(Enumerable.Range(0, Sessions), sessions.Select(s => s.Slot));

        // Every session sends the same sequences: only the echoed slot tells the replies apart.
        for (var seq = 1u; seq <= 3; seq++)
        {
            foreach (var session in sessions)
            {
                Assert.True(await session.SendAsync(seq, CancellationToken.None));
            }
        }

        Assert.True(await Poll.UntilAsync(() => replies.All(q => q.Count >= 3), s_timeout), string.Join(", ", replies.Select(q => q.Count)));
        Assert.All(replies, q =>
        {
            Assert.Equal([1u, 2u, 3u], q.Select(r => r.Sequence).Order());
            Assert.All(q, r => Assert.InRange(r.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1)));
        });
        Assert.Equal(3 * Sessions, _metrics.Count("patronus.probe.replies", "stamp"));
        Assert.Equal(0, _metrics.Dropped("stamp", "unmatched"));
        Assert.Equal(0, _metrics.Dropped("stamp", "wrong_slot"));
    }

    [Fact]
    public async Task OnReply_TwoSessionsSameSequence_EachRttMeasuredFromItsOwnSend()
    {
        var clock = new FakeTimeProvider();
        await ReplaceFactoryAsync(clock);
        using var fake = FakeStampReflector.Open();
        var first = new ConcurrentQueue<ProbeReply>();
        var second = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), first.Enqueue);
        var b = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), second.Enqueue);

        // a sends at 0 ms, b at 10 ms; both replies arrive at 30 ms.
        Assert.True(await a.SendAsync(7, CancellationToken.None));
        var (probeA, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(await b.SendAsync(7, CancellationToken.None));
        var (probeB, _) = await FakeStampReflector.ReceiveProbeAsync(fake);
        clock.Advance(TimeSpan.FromMilliseconds(20));
        await fake.SendToAsync(FakeStampReflector.Reply(probeB), sender);
        await fake.SendToAsync(FakeStampReflector.Reply(probeA), sender);

        Assert.True(await Poll.UntilAsync(() => !first.IsEmpty && !second.IsEmpty, s_timeout));
        // The fake clock's timestamps are ticks since year 1 (about 6e17), which the socket's
        // conversion through a double carries to 128 ticks (13 µs): far below the 10 ms between the sends.
        var (fromA, fromB) = (Assert.Single(first), Assert.Single(second));
        Assert.Equal((7u, 7u), (fromA.Sequence, fromB.Sequence));
        Assert.Equal(30, fromA.RoundTrip.TotalMilliseconds, tolerance: 0.02);
        Assert.Equal(20, fromB.RoundTrip.TotalMilliseconds, tolerance: 0.02);
    }

    [Fact]
    public async Task SendAsync_SequencesAcrossThe20BitWrap_SentMaskedUnderTheSlotAndDeliveredInFull()
    {
        using var fake = FakeStampReflector.Open();
        var first = new ConcurrentQueue<ProbeReply>();
        var second = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), first.Enqueue);
        var b = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), second.Enqueue);
        uint[] sequences = [0x000F_FFFE, 0x000F_FFFF, 0x0010_0000, 0x0010_0001, 0xFFFF_FFF2];

        foreach (var seq in sequences)
        {
            Assert.True(await a.SendAsync(seq, CancellationToken.None));
            var (probeA, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);
            Assert.True(await b.SendAsync(seq, CancellationToken.None));
            var (probeB, _) = await FakeStampReflector.ReceiveProbeAsync(fake);

            // On the wire: the slot in the high 12 bits, the low 20 bits of the monitor's sequence below.
            Assert.Equal(seq & 0x000F_FFFF, probeA.Sequence);
            Assert.Equal(0x0010_0000 | (seq & 0x000F_FFFF), probeB.Sequence);
            await fake.SendToAsync(FakeStampReflector.Reply(probeA), sender);
            await fake.SendToAsync(FakeStampReflector.Reply(probeB), sender);
        }

        Assert.True(await Poll.UntilAsync(() => first.Count >= sequences.Length && second.Count >= sequences.Length, s_timeout), $"{first.Count}, {second.Count}");
        Assert.Equal(sequences, first.Select(r => r.Sequence).Order());
        Assert.Equal(sequences, second.Select(r => r.Sequence).Order());
        Assert.Equal(0, _metrics.Dropped("stamp", "unmatched"));
    }

    [Fact]
    public async Task ReceiveLoop_ReplyNamingAnUnknownOrAnotherSessionsSlot_DroppedAndCounted()
    {
        using var fake = FakeStampReflector.Open();
        var first = new ConcurrentQueue<ProbeReply>();
        var second = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), first.Enqueue);
        Assert.True(await a.SendAsync(1, CancellationToken.None));
        var (probe, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);

        // The peer's only session holds slot 0: slot 5 is nobody's.
        await fake.SendToAsync(FakeStampReflector.Reply(probe, senderSequence: StampSlotTable.ToWire(5, 1)), sender);
        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped("stamp", "wrong_slot") == 1, s_timeout), "no wrong_slot drop counted");

        // With a second session the peer's sessions are in a table: slot 9 is still nobody's, and
        // a reply naming b's slot reaches b, which never sent sequence 1.
        var b = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), second.Enqueue);
        Assert.True(await b.SendAsync(2, CancellationToken.None));
        _ = await FakeStampReflector.ReceiveProbeAsync(fake);
        await fake.SendToAsync(FakeStampReflector.Reply(probe, senderSequence: StampSlotTable.ToWire(9, 1)), sender);
        await fake.SendToAsync(FakeStampReflector.Reply(probe, senderSequence: StampSlotTable.ToWire(b.Slot, 1)), sender);
        await fake.SendToAsync(FakeStampReflector.Reply(probe), sender);

        // Datagrams of one socket are handled in order: once a has its reply, the others are counted.
        Assert.True(await Poll.UntilAsync(() => !first.IsEmpty, s_timeout));
        Assert.Equal(1u, Assert.Single(first).Sequence);
        Assert.Empty(second);
        Assert.Equal(2, _metrics.Dropped("stamp", "wrong_slot"));
        Assert.Equal(1, _metrics.Dropped("stamp", "unmatched"));
        Assert.Equal(0, _metrics.Dropped("stamp", "wrong_source"));
    }

    [Fact]
    public async Task TryCreate_AllSlotsOfAReflectorTaken_OpensASecondSocketForItAlone()
    {
        var reflector = StartReflector();
        var other = StartReflector();
        var sessions = CreateMany(reflector, StampSlotTable.Capacity - 1);
        var lastSlot = new ConcurrentQueue<ProbeReply>();
        var last = Create(ProbeTargets.For(reflector.LocalEndPoint), lastSlot.Enqueue);
        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.All(sessions, s => Assert.Same(last.Socket, s.Socket));
        Assert.Equal(Enumerable.Range(0, StampSlotTable.Capacity - 1), sessions.Select(s => s.Slot).Order());
        Assert.Equal(StampSlotTable.Capacity - 1, last.Slot);

        var overflow = new ConcurrentQueue<ProbeReply>();
        var beyond = Create(ProbeTargets.For(reflector.LocalEndPoint), overflow.Enqueue);
        Assert.Equal(2, _factory.OpenSocketCount);
        Assert.NotSame(last.Socket, beyond.Socket);
        Assert.Equal(0, beyond.Slot);

        // The first socket still has every slot free for another reflector.
        var elsewhere = Create(ProbeTargets.For(other.LocalEndPoint), _ => { });
        Assert.Same(last.Socket, elsewhere.Socket);
        Assert.Equal(2, _factory.OpenSocketCount);

        // The highest slot and the second socket's slot 0 send the same sequence; each gets its own reply.
        Assert.True(await last.SendAsync(11, CancellationToken.None));
        Assert.True(await beyond.SendAsync(11, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !lastSlot.IsEmpty && !overflow.IsEmpty, s_timeout));
        Assert.Equal(11u, Assert.Single(lastSlot).Sequence);
        Assert.Equal(11u, Assert.Single(overflow).Sequence);
        Assert.Equal(0, _metrics.Dropped("stamp", "wrong_slot"));
    }

    [Fact]
    public async Task DisposeAsync_SessionOfAFullSocket_FreesItsSlotForTheNextSession()
    {
        var reflector = StartReflector();
        var sessions = CreateMany(reflector, StampSlotTable.Capacity);
        var first = sessions[0].Socket;
        var freed = sessions.Single(s => s.Slot == 1000);
        await freed.DisposeAsync();

        var replies = new ConcurrentQueue<ProbeReply>();
        var next = Create(ProbeTargets.For(reflector.LocalEndPoint), replies.Enqueue);
        Assert.Same(first, next.Socket);
        Assert.Equal(1000, next.Slot);
        Assert.Equal(1, _factory.OpenSocketCount);

        Assert.True(await next.SendAsync(5, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty, s_timeout));
        Assert.Equal(5u, Assert.Single(replies).Sequence);

        // Full again: the next session to the reflector needs a second socket.
        var overflow = Create(ProbeTargets.For(reflector.LocalEndPoint), _ => { });
        Assert.NotSame(first, overflow.Socket);
        Assert.Equal(2, _factory.OpenSocketCount);
    }

    [Fact]
    public async Task DisposeAsync_SessionToASharedReflector_LowestFreedSlotTakenNextAndOthersUndisturbed()
    {
        var reflector = StartReflector();
        var replies = new ConcurrentQueue<ProbeReply>[4];
        for (var i = 0; i < replies.Length; i++)
        {
            replies[i] = new ConcurrentQueue<ProbeReply>();
        }

        var a = Create(ProbeTargets.For(reflector.LocalEndPoint), replies[0].Enqueue);
        var b = Create(ProbeTargets.For(reflector.LocalEndPoint), replies[1].Enqueue);
        var c = Create(ProbeTargets.For(reflector.LocalEndPoint), replies[2].Enqueue);
        await c.DisposeAsync();
        await b.DisposeAsync();

        var d = Create(ProbeTargets.For(reflector.LocalEndPoint), replies[3].Enqueue);
        Assert.Equal(1, d.Slot);
        Assert.Same(a.Socket, d.Socket);

        Assert.True(await a.SendAsync(1, CancellationToken.None));
        Assert.True(await d.SendAsync(1, CancellationToken.None));
        Assert.False(await b.SendAsync(1, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !replies[0].IsEmpty && !replies[3].IsEmpty, s_timeout));
        Assert.Equal(1u, Assert.Single(replies[0]).Sequence);
        Assert.Equal(1u, Assert.Single(replies[3]).Sequence);
        Assert.Empty(replies[1]);
        Assert.Empty(replies[2]);

        // Once the reflector has no session left on the socket (kept open by a session to another
        // reflector), the next one to it starts again at slot 0.
        var other = StartReflector();
        var keeper = Create(ProbeTargets.For(other.LocalEndPoint), _ => { });
        await d.DisposeAsync();
        await a.DisposeAsync();
        var again = Create(ProbeTargets.For(reflector.LocalEndPoint), _ => { });
        Assert.Same(keeper.Socket, again.Socket);
        Assert.Equal(0, again.Slot);
    }

    private StampProbeSessionFactory NewFactory(TimeProvider time) =>
        new(time, _metrics.Metrics, NullLogger<StampProbeSessionFactory>.Instance);

    private async Task ReplaceFactoryAsync(TimeProvider time)
    {
        await _factory.DisposeAsync();
        _factory = NewFactory(time);
    }

    private StampReflector StartReflector()
    {
        var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, _metrics.Metrics, NullLogger.Instance);
        _owned.Add(reflector);
        return reflector;
    }

    private StampProbeSession[] CreateMany(StampReflector reflector, int count) =>
        Enumerable.Range(0, count).Select(_ => Create(ProbeTargets.For(reflector.LocalEndPoint), _ => { })).ToArray();

    private StampProbeSession Create(ProbeTarget target, Action<ProbeReply> onReply)
    {
        Assert.True(_factory.TryCreate(target, onReply, out var session, out var failure), failure);
        _owned.Add(session!);
        return (StampProbeSession)session!;
    }
}
