using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Patronus.Engine.Probes;
using Patronus.Engine.Net;
using Patronus.Engine.Probes.Stamp;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>
/// Sessions of one link sharing one UDP socket (<see cref="StampSocket"/>): real reflectors and
/// real sockets on loopback; polls with deadlines, no fixed sleeps.
/// </summary>
public sealed class StampSharedSocketTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);
    private static readonly IPAddress s_loopback2 = IPAddress.Parse("127.0.0.2");

    private readonly RecordedProbeMetrics _metrics = new();
    private readonly StampProbeSessionFactory _factory;
    private readonly List<IAsyncDisposable> _owned = [];

    public StampSharedSocketTests()
    {
        _factory = new StampProbeSessionFactory(TimeProvider.System, _metrics.Metrics, NullLogger<StampProbeSessionFactory>.Instance);
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

    [Fact]
    public async Task TryCreate_OneLinkThreeReflectors_ShareOneSocketAndEachSessionGetsOnlyItsReplies()
    {
        var reflectors = Enumerable.Range(0, 3).Select(_ => StartReflector(new IPEndPoint(IPAddress.Loopback, 0))).ToArray();
        var replies = reflectors.Select(_ => new ConcurrentQueue<ProbeReply>()).ToArray();
        var sessions = reflectors.Select((r, i) => Create(ProbeTargets.For(r.LocalEndPoint), replies[i].Enqueue)).ToArray();

        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.Single(sessions.Select(s => s.Socket).Distinct());

        // Disjoint sequences per session: a reply routed to the wrong session would be unmatched there.
        for (var i = 0; i < sessions.Length; i++)
        {
            for (var k = 1u; k <= 5; k++)
            {
                Assert.True(await sessions[i].SendAsync((uint)(100 * (i + 1)) + k, CancellationToken.None));
            }
        }

        Assert.True(await Poll.UntilAsync(() => replies.All(q => q.Count >= 5), s_timeout), string.Join(", ", replies.Select(q => q.Count)));
        for (var i = 0; i < sessions.Length; i++)
        {
            var first = (uint)(100 * (i + 1)) + 1;
            Assert.Equal(Enumerable.Range((int)first, 5).Select(s => (uint)s), replies[i].Select(r => r.Sequence).Order());
        }

        Assert.Equal(15, _metrics.Count("patronus.probe.replies", "stamp"));
        Assert.Equal(0, _metrics.Count("patronus.probe.dropped", "stamp", "unmatched"));
        Assert.Equal(0, _metrics.Count("patronus.probe.dropped", "stamp", "wrong_source"));
    }

    [Fact]
    public async Task TryCreate_TwoSessionsToOneReflectorOnOneLink_ShareOneSocketAndBothAreAnswered()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var other = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var first = new ConcurrentQueue<ProbeReply>();
        var second = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For(reflector.LocalEndPoint), first.Enqueue);
        var b = Create(ProbeTargets.For(reflector.LocalEndPoint), second.Enqueue);

        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.Same(a.Socket, b.Socket);
        Assert.Equal(0, a.Slot);
        Assert.Equal(1, b.Slot);

        // The same sequences on both: only routing by the slot the reflector echoes gives each its own.
        for (var seq = 1u; seq <= 5; seq++)
        {
            Assert.True(await a.SendAsync(seq, CancellationToken.None));
            Assert.True(await b.SendAsync(seq, CancellationToken.None));
        }

        Assert.True(await Poll.UntilAsync(() => first.Count >= 5 && second.Count >= 5, s_timeout), $"{first.Count}, {second.Count}");
        Assert.Equal([1u, 2u, 3u, 4u, 5u], first.Select(r => r.Sequence).Order());
        Assert.Equal([1u, 2u, 3u, 4u, 5u], second.Select(r => r.Sequence).Order());

        Assert.Equal(0, _metrics.Dropped("stamp", "unmatched"));
        Assert.Equal(0, _metrics.Dropped("stamp", "wrong_slot"));

        // A session to another reflector joins the same socket, in slot 0 of that reflector.
        var c = Create(ProbeTargets.For(other.LocalEndPoint), _ => { });
        Assert.Same(a.Socket, c.Socket);
        Assert.Equal(0, c.Slot);
        Assert.Equal(1, _factory.OpenSocketCount);
    }

    [Fact]
    public async Task ReceiveLoop_DatagramFromUnknownSource_DroppedAsWrongSourceAndLoopCarriesOn()
    {
        using var fake = FakeStampReflector.Open();
        var replies = new ConcurrentQueue<ProbeReply>();
        var session = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), replies.Enqueue);
        Assert.True(await session.SendAsync(1, CancellationToken.None));
        var (probe, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);

        // A well-formed reply to an outstanding probe, but from a host nobody probes from this socket.
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await stranger.SendToAsync(FakeStampReflector.Reply(probe), sender);
        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped("stamp", "wrong_source") == 1, s_timeout), "no wrong_source drop counted");
        Assert.Empty(replies);

        await fake.SendToAsync(FakeStampReflector.Reply(probe), sender);
        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty, s_timeout));
        Assert.Equal(1u, Assert.Single(replies).Sequence);
    }

    [Fact]
    public async Task ReceiveLoop_DatagramLongerThanMaxDatagram_DroppedAsTooLong()
    {
        using var fake = FakeStampReflector.Open();
        var replies = new ConcurrentQueue<ProbeReply>();
        var session = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), replies.Enqueue);
        Assert.True(await session.SendAsync(1, CancellationToken.None));
        var (first, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);
        Assert.True(await session.SendAsync(2, CancellationToken.None));
        var (second, _) = await FakeStampReflector.ReceiveProbeAsync(fake);

        await fake.SendToAsync(FakeStampReflector.Reply(first, StampSocket.MaxDatagram + 1), sender);
        await fake.SendToAsync(FakeStampReflector.Reply(second, StampSocket.MaxDatagram), sender);

        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty, s_timeout));
        Assert.Equal(2u, Assert.Single(replies).Sequence);
        Assert.Equal(1, _metrics.Dropped("stamp", "too_long"));
    }

    [Fact]
    public async Task Session_ReplyOlderThanTheRing_IsUnmatched()
    {
        using var fake = FakeStampReflector.Open();
        var replies = new ConcurrentQueue<ProbeReply>();
        var session = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), replies.Enqueue);
        var probes = new List<StampSenderPacket>();
        EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
        for (var seq = 1u; seq <= StampProbeSession.RingSize + 1; seq++)
        {
            Assert.True(await session.SendAsync(seq, CancellationToken.None));
            var (probe, from) = await FakeStampReflector.ReceiveProbeAsync(fake);
            probes.Add(probe);
            sender = from;
        }

        // Probe RingSize + 1 took the slot of probe 1.
        await fake.SendToAsync(FakeStampReflector.Reply(probes[0]), sender);
        await fake.SendToAsync(FakeStampReflector.Reply(probes[1]), sender);

        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty && _metrics.Dropped("stamp", "unmatched") == 1, s_timeout));
        Assert.Equal(2u, Assert.Single(replies).Sequence);
    }

    [Fact]
    public async Task DisposeAsync_LastSessionOfASocket_ClosesIt()
    {
        var r1 = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var r2 = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var replies = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For(r1.LocalEndPoint), replies.Enqueue, own: false);
        var b = Create(ProbeTargets.For(r2.LocalEndPoint), replies.Enqueue, own: false);
        var socket = a.Socket;
        Assert.Same(socket, b.Socket);

        await a.DisposeAsync();
        Assert.False(socket.IsClosed);
        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.True(await b.SendAsync(7, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty, s_timeout));

        await b.DisposeAsync();
        Assert.True(socket.IsClosed);
        Assert.True(socket.Socket.SafeHandle.IsClosed);
        Assert.Equal(0, _factory.OpenSocketCount);
        Assert.False(await b.SendAsync(8, CancellationToken.None));

        // The next session of the link opens a fresh socket.
        var c = Create(ProbeTargets.For(r1.LocalEndPoint), replies.Enqueue);
        Assert.NotSame(socket, c.Socket);
        Assert.True(await c.SendAsync(9, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => replies.Any(r => r.Sequence == 9), s_timeout));
    }

    [Fact]
    public async Task TryCreate_DifferentSourceAddresses_AreDifferentLinksWithTheirOwnSockets()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var other = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var replies = new ConcurrentQueue<ProbeReply>();
        var fromOne = Create(ProbeTargets.For(reflector.LocalEndPoint, IPAddress.Loopback), replies.Enqueue);
        var fromTwo = Create(ProbeTargets.For(reflector.LocalEndPoint, s_loopback2), replies.Enqueue);
        var fromOneToOther = Create(ProbeTargets.For(other.LocalEndPoint, IPAddress.Loopback), replies.Enqueue);

        Assert.Equal(2, _factory.OpenSocketCount);
        Assert.Same(fromOne.Socket, fromOneToOther.Socket);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)fromOne.Socket.Socket.LocalEndPoint!).Address);
        Assert.Equal(s_loopback2, ((IPEndPoint)fromTwo.Socket.Socket.LocalEndPoint!).Address);

        Assert.True(await fromOne.SendAsync(1, CancellationToken.None));
        Assert.True(await fromTwo.SendAsync(2, CancellationToken.None));
        Assert.True(await fromOneToOther.SendAsync(3, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => replies.Count >= 3, s_timeout));
        Assert.Equal([1u, 2u, 3u], replies.Select(r => r.Sequence).Order());
    }

    [Fact]
    public async Task TryCreate_IPv6SessionsOfOneLink_ShareAnIPv6SocketApartFromIPv4()
    {
        var r1 = StartReflector(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var r2 = StartReflector(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var v4 = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var replies = new ConcurrentQueue<ProbeReply>();
        var a = Create(ProbeTargets.For(r1.LocalEndPoint), replies.Enqueue);
        var b = Create(ProbeTargets.For(r2.LocalEndPoint), replies.Enqueue);
        var c = Create(ProbeTargets.For(v4.LocalEndPoint), replies.Enqueue);

        Assert.Same(a.Socket, b.Socket);
        Assert.Equal(AddressFamily.InterNetworkV6, a.Socket.Socket.AddressFamily);
        Assert.NotSame(a.Socket, c.Socket);
        Assert.Equal(2, _factory.OpenSocketCount);

        Assert.True(await a.SendAsync(1, CancellationToken.None));
        Assert.True(await b.SendAsync(2, CancellationToken.None));
        Assert.True(await c.SendAsync(3, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => replies.Count >= 3, s_timeout));
        Assert.Equal([1u, 2u, 3u], replies.Select(r => r.Sequence).Order());
    }

    [Fact]
    public async Task TryCreate_IPv4MappedTarget_ProbesOverTheIPv4Socket()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var replies = new ConcurrentQueue<ProbeReply>();
        var plain = Create(ProbeTargets.For(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 1)), _ => { });
        var mapped = Create(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), reflector.LocalEndPoint.Port)), replies.Enqueue);

        Assert.Same(plain.Socket, mapped.Socket);
        Assert.True(await mapped.SendAsync(4, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !replies.IsEmpty, s_timeout));
    }

    [Fact]
    public async Task DisposeAsync_Factory_ClosesEverySocketAndRefusesNewSessions()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var a = Create(ProbeTargets.For(reflector.LocalEndPoint), _ => { });
        var b = Create(ProbeTargets.For(reflector.LocalEndPoint, s_loopback2), _ => { });

        await _factory.DisposeAsync();

        Assert.True(a.Socket.IsClosed);
        Assert.True(b.Socket.IsClosed);
        Assert.Equal(0, _factory.OpenSocketCount);
        Assert.False(await a.SendAsync(1, CancellationToken.None));
        Assert.Throws<ObjectDisposedException>(() => _factory.TryCreate(ProbeTargets.For(reflector.LocalEndPoint), _ => { }, out _, out _));
    }

    [Fact]
    public async Task SendAsync_KernelRefusesTheSend_ReturnsFalseCountsItAndWarnsOnce()
    {
        var logger = new FakeLogger<StampProbeSessionFactory>();
        await using var factory = new StampProbeSessionFactory(TimeProvider.System, _metrics.Metrics, logger);

        // Linux refuses a datagram to the broadcast address without SO_BROADCAST (EACCES).
        Assert.True(factory.TryCreate(ProbeTargets.For(new IPEndPoint(IPAddress.Broadcast, 862)), _ => { }, out var session, out var failure), failure);
        await using var owned = session!;

        Assert.False(await owned.SendAsync(1, CancellationToken.None));
        Assert.False(await owned.SendAsync(2, CancellationToken.None));

        Assert.Equal(2, _metrics.Count("patronus.probe.send_failed", "stamp"));
        Assert.Equal(0, _metrics.Count("patronus.probe.sent", "stamp"));
        Assert.Single(logger.Collector.GetSnapshot(), e => e.Id.Id == 3217 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Equal(2, logger.Collector.GetSnapshot().Count(e => e.Id.Id == 3211));
    }

    [Fact]
    public async Task Socket_ReceiveBuffer_IsSizedForBursts()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var session = Create(ProbeTargets.For(reflector.LocalEndPoint), _ => { });

        // As root the request is forced past net.core.rmem_max (Linux reports twice the request);
        // otherwise it is at least the kernel default.
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess)
        {
            Assert.True(session.Socket.ReceiveBufferBytes >= UdpReceiveBuffer.Requested, $"{session.Socket.ReceiveBufferBytes}");
            Assert.True(reflector.ReceiveBufferBytes >= UdpReceiveBuffer.Requested, $"{reflector.ReceiveBufferBytes}");
        }
        else
        {
            Assert.True(session.Socket.ReceiveBufferBytes > 0);
        }

        Assert.True(await session.SendAsync(1, CancellationToken.None));
    }

    [Fact]
    public void Request_PastRmemMax_ForcedAsRootCappedOtherwise()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var rmemMax = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var obtained = UdpReceiveBuffer.Request(socket, rmemMax * 2, out var forced);

        Assert.Equal(Environment.IsPrivilegedProcess, forced);
        if (forced)
        {
            Assert.True(obtained > 2 * rmemMax, $"{obtained} with rmem_max {rmemMax}");
        }
        else
        {
            Assert.True(obtained <= 2 * rmemMax, $"{obtained} with rmem_max {rmemMax}");
        }
    }

    [Fact]
    public void StampPeer_IPv6_IgnoresFlowLabelAndScopeButNotPort()
    {
        var address = new SocketAddress(AddressFamily.InterNetworkV6);
        new IPEndPoint(IPAddress.Parse("2001:db8::7"), 862).Serialize().Buffer.Span.CopyTo(address.Buffer.Span);
        Assert.True(StampPeer.TryRead(address.Buffer.Span[..address.Size], AddressFamily.InterNetworkV6, out var plain));

        var bytes = address.Buffer.Span[..address.Size].ToArray();
        bytes[4] = 0x12; // flow label
        bytes[24] = 3;   // scope id
        Assert.True(StampPeer.TryRead(bytes, AddressFamily.InterNetworkV6, out var labelled));
        Assert.Equal(plain, labelled);

        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 863), out var otherPort));
        Assert.NotEqual(plain, otherPort);
        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 862), out var same));
        Assert.Equal(plain, same);
    }

    [Fact]
    public void StampPeer_IPv4_DistinguishesAddressAndPort()
    {
        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 862), out var a));
        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 862), out var same));
        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 862), out var otherAddress));
        Assert.True(StampPeer.TryFrom(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 863), out var otherPort));

        Assert.Equal(a, same);
        Assert.NotEqual(a, otherAddress);
        Assert.NotEqual(a, otherPort);
    }

    [Fact]
    public void StampPeer_TruncatedSockaddr_ReturnsFalse()
    {
        Assert.False(StampPeer.TryRead(new byte[7], AddressFamily.InterNetwork, out _));
        Assert.False(StampPeer.TryRead(new byte[23], AddressFamily.InterNetworkV6, out _));
    }

    [Fact]
    public async Task DisposeAsync_DuringAFloodOnTheSharedSocket_ReceiveLoopEndsWithinOneSecond()
    {
        using var fake = FakeStampReflector.Open();
        var session = Create(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!), _ => { });
        Assert.True(await session.SendAsync(1, CancellationToken.None));
        var (_, sender) = await FakeStampReflector.ReceiveProbeAsync(fake);

        // From a source no session probes: each datagram is a wrong_source drop.
        using var flood = DatagramFlood.Udp((IPEndPoint)sender, new byte[StampReflectorPacket.Size]);
        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped("stamp", "wrong_source") > 1_000, TimeSpan.FromSeconds(10)), $"the flood is not being received ({flood.Sent} sent)");

        var stopping = Stopwatch.StartNew();
        await _factory.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
    }

    private StampReflector StartReflector(IPEndPoint listen)
    {
        var reflector = StampReflector.Start(listen, TimeProvider.System, _metrics.Metrics, NullLogger.Instance);
        _owned.Add(reflector);
        return reflector;
    }

    private StampProbeSession Create(ProbeTarget target, Action<ProbeReply> onReply, bool own = true)
    {
        Assert.True(_factory.TryCreate(target, onReply, out var session, out var failure), failure);
        if (own)
        {
            _owned.Add(session!);
        }

        return (StampProbeSession)session!;
    }
}
