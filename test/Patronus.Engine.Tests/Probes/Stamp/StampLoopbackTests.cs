using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>A real reflector and real sessions over loopback sockets (no traffic leaves the host).</summary>
public sealed class StampLoopbackTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);
    private readonly RecordedProbeMetrics _metrics = new();
    private readonly ConcurrentQueue<ProbeReply> _replies = new();

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task SendAsync_Sequences1To20_AllAnsweredWithSaneRtt()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        await using var session = CreateSession(ProbeTargets.For(reflector.LocalEndPoint));

        for (var seq = 1u; seq <= 20; seq++)
        {
            Assert.True(await session.SendAsync(seq, CancellationToken.None));
        }

        Assert.True(await Poll.UntilAsync(() => _replies.Count >= 20, s_timeout), $"only {_replies.Count} replies");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (uint)i), _replies.Select(r => r.Sequence).Order());
        Assert.All(_replies, r => Assert.InRange(r.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1)));
        Assert.Equal(20, _metrics.Count("patronus.probe.sent", "stamp"));
        Assert.Equal(20, _metrics.Count("patronus.probe.replies", "stamp"));
        Assert.True(await Poll.UntilAsync(() => _metrics.Count("patronus.reflector.reflected") == 20, s_timeout));
    }

    [Fact]
    public async Task SendAsync_IPv6Loopback_Answered()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var session = CreateSession(ProbeTargets.For(reflector.LocalEndPoint));

        Assert.True(await session.SendAsync(3, CancellationToken.None));

        Assert.True(await Poll.UntilAsync(() => _replies.Count == 1, s_timeout));
        Assert.Equal(3u, _replies.Single().Sequence);
    }

    [Fact]
    public async Task SendAsync_DualStackReflectorOverIPv4_Answered()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var session = CreateSession(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback, reflector.LocalEndPoint.Port)));

        Assert.True(await session.SendAsync(4, CancellationToken.None));

        Assert.True(await Poll.UntilAsync(() => _replies.Count == 1, s_timeout));
    }

    [Fact]
    public async Task Reflector_ValidTestPacket_ReplyCopiesSenderFieldsTtlAndTimestamps()
    {
        var now = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234567);
        var clock = new FakeTimeProvider(now);
        await using var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), clock, _metrics.Metrics, NullLogger.Instance);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Ttl = 42 };
        client.Connect(reflector.LocalEndPoint);
        var sent = new StampSenderPacket(77, new NtpTimestamp(0xAABB_CCDD_1122_3344), new ErrorEstimate(0x8105));
        var request = new byte[44];
        sent.TryWrite(request, out _);

        client.Send(request);
        var reply = await ReflectorClient.ReceiveAsync(client);

        Assert.Equal(44, reply.Length);
        Assert.True(StampReflectorPacket.TryRead(reply, out var packet));
        Assert.Equal(77u, packet.Sequence); // stateless: reflector sequence = sender sequence
        Assert.Equal(77u, packet.SenderSequence);
        Assert.Equal(sent.Timestamp, packet.SenderTimestamp);
        Assert.Equal(sent.ErrorEstimate, packet.SenderErrorEstimate);
        Assert.Equal(ErrorEstimate.Unsynchronized, packet.ErrorEstimate);
        Assert.Equal(now, packet.ReceiveTimestamp.ToDateTimeOffset(now));
        Assert.True(packet.TryGetHoldTime(out var hold));
        Assert.InRange(hold, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        if (reflector.ReportsTtl)
        {
            Assert.Equal(42, packet.SenderTtl);
        }
        else
        {
            Assert.Equal(0, packet.SenderTtl);
        }
    }

    [Fact]
    public async Task Reflector_OnLinux64_ReportsTtl()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));

        // The recvmsg path exists on 64-bit Linux only; elsewhere Session-Sender TTL is documented as 0.
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, reflector.ReportsTtl);
    }

    [Fact]
    public async Task Reflector_Start_LogsTheReceiveBufferItGotAtInformation()
    {
        var logger = new FakeLogger<StampReflector>();
        await using var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, _metrics.Metrics, logger);

        var entry = Assert.Single(logger.Collector.GetSnapshot(), e => e.Id.Id == 3206);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, entry.Level);
        Assert.Contains(reflector.ReceiveBufferBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflector_PaddedTestPacket_ReplyIsSymmetricWithZeroPadding()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = ReflectorClient.Connected(reflector.LocalEndPoint);
        var request = new byte[100];
        Array.Fill(request, (byte)0xAB);
        new StampSenderPacket(5, new NtpTimestamp(1), ErrorEstimate.Unsynchronized).TryWrite(request, out _);

        client.Send(request);
        var reply = await ReflectorClient.ReceiveAsync(client);

        Assert.Equal(100, reply.Length);
        Assert.All(reply[44..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Reflector_MalformedDatagrams_DroppedCountedLoggedAndKeepsAnswering()
    {
        var logger = new FakeLogger<StampReflector>();
        await using var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, _metrics.Metrics, logger);
        using var client = ReflectorClient.Connected(reflector.LocalEndPoint);
        var zeroMultiplier = new byte[44];
        new StampSenderPacket(8, new NtpTimestamp(1), new ErrorEstimate(0x8000)).TryWrite(zeroMultiplier, out _);
        var valid = new byte[44];
        new StampSenderPacket(9, new NtpTimestamp(1), ErrorEstimate.Unsynchronized).TryWrite(valid, out _);

        client.Send(new byte[] { 1, 2, 3 });
        client.Send(Array.Empty<byte>());
        client.Send(zeroMultiplier);
        client.Send(valid);
        var reply = await ReflectorClient.ReceiveAsync(client);

        Assert.True(StampReflectorPacket.TryRead(reply, out var packet));
        Assert.Equal(9u, packet.SenderSequence);
        Assert.Equal(2, _metrics.Dropped("reflector", "too_short"));
        Assert.Equal(1, _metrics.Dropped("reflector", "zero_multiplier"));
        Assert.Equal(3, logger.Collector.GetSnapshot().Count(e => e.Id.Id == 3202 && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug));
    }

    [Fact]
    public async Task Session_UnmatchedShortAndZeroMultiplierReplies_NotDelivered()
    {
        // A fake reflector that answers with junk first, then the real reply.
        using var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var session = CreateSession(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!));

        Assert.True(await session.SendAsync(5, CancellationToken.None));
        var request = new byte[64];
        using var cts = new CancellationTokenSource(s_timeout);
        var received = await fake.ReceiveFromAsync(request, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(StampSenderPacket.TryRead(request.AsSpan(0, received.ReceivedBytes), out var probe));
        Assert.Equal(5u, probe.Sequence);

        var unmatched = Reply(999, probe);
        var zeroMultiplier = Reply(5, probe, new ErrorEstimate(0x0100));
        var good = Reply(5, probe);
        await fake.SendToAsync(unmatched, received.RemoteEndPoint);
        await fake.SendToAsync(new byte[20], received.RemoteEndPoint);
        await fake.SendToAsync(zeroMultiplier, received.RemoteEndPoint);
        await fake.SendToAsync(good, received.RemoteEndPoint);

        Assert.True(await Poll.UntilAsync(() => !_replies.IsEmpty, s_timeout));
        Assert.Equal(5u, Assert.Single(_replies).Sequence);
        Assert.Equal(1, _metrics.Dropped("stamp", "unmatched"));
        Assert.Equal(1, _metrics.Dropped("stamp", "too_short"));
        Assert.Equal(1, _metrics.Dropped("stamp", "zero_multiplier"));
    }

    [Fact]
    public async Task Session_HoldTimeReported_IsSubtractedOnlyWhenBelowRtt()
    {
        using var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var session = CreateSession(ProbeTargets.For((IPEndPoint)fake.LocalEndPoint!));
        var buffer = new byte[64];
        using var cts = new CancellationTokenSource(s_timeout);

        // Probe 1: the reflector claims a one-hour hold (absurd) — not subtracted, RTT stays sane.
        Assert.True(await session.SendAsync(1, CancellationToken.None));
        var received = await fake.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        StampSenderPacket.TryRead(buffer, out var probe);
        await fake.SendToAsync(Reply(1, probe, hold: TimeSpan.FromHours(1)), received.RemoteEndPoint);
        Assert.True(await Poll.UntilAsync(() => _replies.Count == 1, s_timeout));

        Assert.InRange(_replies.Single().RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Session_NoReflectorListeningYet_LaterProbesAnswered()
    {
        var port = GetFreeUdpPort();
        await using var session = CreateSession(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback, port)));

        // Nobody listens: the kernel answers with ICMP port unreachable, which the unconnected
        // shared socket does not report (so it cannot disturb the link's other sessions).
        Assert.True(await session.SendAsync(1, CancellationToken.None));

        await using var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, port));
        Assert.True(await session.SendAsync(2, CancellationToken.None));

        Assert.True(await Poll.UntilAsync(() => !_replies.IsEmpty, s_timeout));
        Assert.Equal(2u, Assert.Single(_replies).Sequence);
    }

    [Fact]
    public void TryCreate_SourceAddressNotOnHost_FailsNamingIt()
    {
        var factory = Factory();

        Assert.False(factory.TryCreate(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback, 862), IPAddress.Parse("192.0.2.123")), _ => { }, out var session, out var failure));
        Assert.Null(session);
        Assert.Contains("192.0.2.123", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_SourceFamilyMismatch_Fails()
    {
        Assert.False(Factory().TryCreate(ProbeTargets.For(new IPEndPoint(IPAddress.IPv6Loopback, 862), IPAddress.Loopback), _ => { }, out _, out var failure));
        Assert.Contains("127.0.0.1", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_UnknownInterface_FailsNamingIt()
    {
        Assert.False(Factory().TryCreate(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback, 862), device: "nosuchif0"), _ => { }, out _, out var failure));
        Assert.Contains("nosuchif0", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_InvalidInterfaceName_Fails()
    {
        Assert.False(Factory().TryCreate(ProbeTargets.For(new IPEndPoint(IPAddress.Loopback, 862), device: "a-name-far-too-long-for-linux"), _ => { }, out _, out var failure));
        Assert.Contains("a-name-far-too-long-for-linux", failure, StringComparison.Ordinal);
    }

    // SO_BINDTODEVICE needs CAP_NET_RAW on older kernels: the success assertion runs as root only;
    // as another user, TryCreate may fail but must then name the interface.
    [Fact]
    public async Task TryCreate_BindToDeviceLoWithSourceAsRoot_ProbesAnswered()
    {
        await using var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var created = Factory().TryCreate(ProbeTargets.For(reflector.LocalEndPoint, IPAddress.Loopback, "lo"), _replies.Enqueue, out var session, out var failure);
        if (!IsRoot() && !created)
        {
            Assert.Contains("lo", failure, StringComparison.Ordinal);
            return;
        }

        Assert.True(created, failure);
        await using var owned = session!;
        Assert.True(await owned.SendAsync(11, CancellationToken.None));
        Assert.True(await Poll.UntilAsync(() => !_replies.IsEmpty, s_timeout));
    }

    [Fact]
    public async Task DisposeAsync_Twice_IsHarmless()
    {
        var reflector = StartReflector(new IPEndPoint(IPAddress.Loopback, 0));
        var session = CreateSession(ProbeTargets.For(reflector.LocalEndPoint));

        await session.DisposeAsync();
        await session.DisposeAsync();
        await reflector.DisposeAsync();
        await reflector.DisposeAsync();

        Assert.False(await session.SendAsync(1, CancellationToken.None));
    }

    private StampReflector StartReflector(IPEndPoint listen) =>
        StampReflector.Start(listen, TimeProvider.System, _metrics.Metrics, NullLogger.Instance);

    private StampProbeSessionFactory Factory() =>
        new(TimeProvider.System, _metrics.Metrics, NullLogger<StampProbeSessionFactory>.Instance);

    private IProbeSession CreateSession(ProbeTarget target)
    {
        Assert.True(Factory().TryCreate(target, _replies.Enqueue, out var session, out var failure), failure);
        return session!;
    }

    private static byte[] Reply(uint senderSequence, StampSenderPacket probe, ErrorEstimate? estimate = null, TimeSpan? hold = null)
    {
        var t2 = NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var t3 = NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow + (hold ?? TimeSpan.Zero));
        var bytes = new byte[44];
        new StampReflectorPacket(senderSequence, t3, estimate ?? ErrorEstimate.Unsynchronized, t2, senderSequence, probe.Timestamp, probe.ErrorEstimate, 64)
            .TryWrite(bytes, out _);
        return bytes;
    }

    private static int GetFreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static bool IsRoot() => Environment.IsPrivilegedProcess;
}
