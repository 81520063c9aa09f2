using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Icmp;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>
/// Real raw sockets on loopback only. CI runs as root; without CAP_NET_RAW (not root, or a
/// container that dropped it) every test instead asserts that sessions are refused with the
/// permission message, so none passes vacuously.
/// </summary>
public sealed class IcmpProbeSessionFactoryTests : IAsyncDisposable
{
    private const string IcmpProtocol = "icmp";
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);
    private static readonly IPAddress s_loopback2 = IPAddress.Parse("127.0.0.2");

    private readonly RecordedProbeMetrics _metrics = new();
    private readonly IcmpProbeSessionFactory _factory;
    private readonly List<IAsyncDisposable> _owned = [];

    public IcmpProbeSessionFactoryTests()
    {
        _factory = new IcmpProbeSessionFactory(TimeProvider.System, _metrics.Metrics, NullLogger<IcmpProbeSessionFactory>.Instance);
    }

    [Fact]
    public void IsAvailable_ProcessCapabilities_AnswersWhetherCapNetRawIsEffective()
    {
        var available = IcmpProbeSessionFactory.IsAvailable(out var reason);

        Assert.Equal(HasCapNetRaw(), available);
        if (available)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Matches("^ICMP probes need root or CAP_NET_RAW \\(raw socket: .+\\)$", reason);
        }
    }

    [Fact]
    public async Task SendAsync_Loopback_RepliesToSequences1To20WithRttUnderOneSecond()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = Create(IPAddress.Loopback, replies);

        for (uint sequence = 1; sequence <= 20; sequence++)
        {
            Assert.True(await session.SendAsync(sequence, CancellationToken.None));
        }

        Assert.True(await replies.WaitForAsync(20, s_deadline), $"{replies.Replies.Count} of 20 replies");
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (uint)s), replies.Replies.Select(r => r.Sequence).Order());
        Assert.All(replies.Replies, r => Assert.InRange(r.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1)));

        // On loopback the socket would also see the 20 requests: the kernel filter keeps them out.
        Assert.Equal(0, _metrics.Dropped(IcmpProtocol, "not_echo_reply"));
    }

    [Fact]
    public async Task SendAsync_SequencesAcross16BitWrap_RepliesCarryTheFullSequence()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = Create(IPAddress.Loopback, replies);
        // Consecutive, as a prober sends them: the 16-bit ICMP sequence wraps to 0 at 65 536.
        uint[] sequences = [65_533, 65_534, 65_535, 65_536, 65_537, 65_538];

        foreach (var sequence in sequences)
        {
            Assert.True(await session.SendAsync(sequence, CancellationToken.None));
        }

        Assert.True(await replies.WaitForAsync(sequences.Length, s_deadline));
        Assert.Equal(sequences, replies.Replies.Select(r => r.Sequence).Order());
    }

    [Fact]
    public async Task SendAsync_TwoSessionsToSameTarget_EachGetsOnlyItsOwnReplies()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var repliesA = new ReplyCollector();
        var repliesB = new ReplyCollector();
        var a = Create(IPAddress.Loopback, repliesA);
        var b = Create(IPAddress.Loopback, repliesB);

        // Disjoint sequence ranges: a reply routed to the wrong session could not match there
        // and would show up as missing, and any stray one as an unexpected sequence.
        var sendA = SendRangeAsync(a, 1, 20);
        var sendB = SendRangeAsync(b, 1001, 20);
        await Task.WhenAll(sendA, sendB);

        Assert.True(await repliesA.WaitForAsync(20, s_deadline), $"A: {repliesA.Replies.Count} of 20");
        Assert.True(await repliesB.WaitForAsync(20, s_deadline), $"B: {repliesB.Replies.Count} of 20");
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (uint)s), repliesA.Replies.Select(r => r.Sequence).Order());
        Assert.Equal(Enumerable.Range(1001, 20).Select(s => (uint)s), repliesB.Replies.Select(r => r.Sequence).Order());
        Assert.NotEqual(((IcmpProbeSession)a).Identifier, ((IcmpProbeSession)b).Identifier);
        Assert.Equal(1, _factory.OpenSocketCount);
    }

    [Fact]
    public async Task SendAsync_SessionToAnotherLoopbackAddress_SeesNoneOfTheOthersReplies()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var repliesA = new ReplyCollector();
        var repliesB = new ReplyCollector();
        var a = Create(IPAddress.Loopback, repliesA);
        var b = Create(s_loopback2, repliesB);

        await SendRangeAsync(a, 1, 20);
        Assert.True(await repliesA.WaitForAsync(20, s_deadline));
        Assert.Empty(repliesB.Replies);

        // B works: its silence above was not a broken session (Linux answers all of 127/8).
        await SendRangeAsync(b, 1, 5);
        Assert.True(await repliesB.WaitForAsync(5, s_deadline));
        Assert.Equal(20, repliesA.Replies.Count);
    }

    [Fact]
    public async Task ReceiveLoop_ReplyWithSessionIdentifierFromAnotherSource_IsDroppedAsWrongSource()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = (IcmpProbeSession)Create(s_loopback2, replies);
        Assert.True(await session.SendAsync(7, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(1, s_deadline));

        // Forge an echo reply carrying the session's identifier and an outstanding sequence,
        // from 127.0.0.1 rather than the target 127.0.0.2.
        using (var forger = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp))
        {
            var forged = new byte[IcmpEchoPacket.Length];
            new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV4, 0, 0, session.Identifier, 8, IcmpEchoPacket.PatronusMagic, 8).TryWrite(forged, out _);
            forger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await forger.SendToAsync(forged, new IPEndPoint(IPAddress.Loopback, 0));
        }

        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped(IcmpProtocol, "wrong_source") >= 1, s_deadline), "no wrong_source drop counted");
        Assert.Single(replies.Replies);
    }

    [Fact]
    public async Task ReceiveLoop_ReplyToNoOutstandingProbe_IsDroppedAsUnmatchedAndLoopCarriesOn()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = (IcmpProbeSession)Create(IPAddress.Loopback, replies);

        using (var forger = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp))
        {
            var buffer = new byte[IcmpEchoPacket.Length];
            new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV4, 0, 0, session.Identifier, 42, IcmpEchoPacket.PatronusMagic, 42).TryWrite(buffer, out _);
            forger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await forger.SendToAsync(buffer, new IPEndPoint(IPAddress.Loopback, 0));

            // Checksum broken: malformed, counted, and the loop goes on.
            buffer[15] ^= 0xFF;
            await forger.SendToAsync(buffer, new IPEndPoint(IPAddress.Loopback, 0));
        }

        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped(IcmpProtocol, "unmatched") >= 1 && _metrics.Dropped(IcmpProtocol, "bad_checksum") >= 1, s_deadline), "drops not counted");
        Assert.True(await session.SendAsync(43, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(1, s_deadline));
        Assert.Equal(43u, Assert.Single(replies.Replies).Sequence);
    }

    [Fact]
    public async Task ReceiveLoop_ReplyCallbackThrows_LoopCarriesOnWithTheNextReply()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        Action<ProbeReply> throwing = reply =>
        {
            replies.OnReply(reply);
            throw new InvalidOperationException("callback bug");
        };
        Assert.True(_factory.TryCreate(Target(IPAddress.Loopback), throwing, out var session, out var failure), failure);
        _owned.Add(session!);

        Assert.True(await session!.SendAsync(1, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(1, s_deadline));
        Assert.True(await session.SendAsync(2, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(2, s_deadline));
        Assert.True(await session.SendAsync(3, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(3, s_deadline));
    }

    [Fact]
    public async Task TryCreate_SameBinding_SharesOneSocketAndTheLastSessionClosesIt()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var sessions = new List<IProbeSession>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(_factory.TryCreate(Target(IPAddress.Loopback), replies.OnReply, out var session, out var failure), failure);
            sessions.Add(session!);
        }

        Assert.Equal(1, _factory.OpenSocketCount);
        Assert.True(_factory.TryCreate(Target(IPAddress.Loopback, source: IPAddress.Loopback), replies.OnReply, out var bound, out _));
        Assert.Equal(2, _factory.OpenSocketCount);

        await bound!.DisposeAsync();
        Assert.Equal(1, _factory.OpenSocketCount);
        await sessions[0].DisposeAsync();
        await sessions[1].DisposeAsync();
        Assert.Equal(1, _factory.OpenSocketCount);

        // The survivor still works on the shared socket; disposing it closes the socket.
        Assert.True(await sessions[2].SendAsync(1, CancellationToken.None));
        Assert.True(await replies.WaitForAsync(1, s_deadline));
        await sessions[2].DisposeAsync();
        Assert.Equal(0, _factory.OpenSocketCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sessions[2].SendAsync(2, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task SendAsync_BoundToSourceAndInterfaceLo_RepliesArrive()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        Assert.True(_factory.TryCreate(Target(IPAddress.Loopback, source: IPAddress.Loopback, device: "lo"), replies.OnReply, out var session, out var failure), failure);
        _owned.Add(session!);

        await SendRangeAsync(session!, 1, 3);

        Assert.True(await replies.WaitForAsync(3, s_deadline));
    }

    [Fact]
    public void TryCreate_SourceAddressNotOnHost_FailsNamingTheAddress()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never configured here. Nothing is sent.
        Assert.False(_factory.TryCreate(Target(IPAddress.Loopback, source: IPAddress.Parse("192.0.2.1")), _ => { }, out var session, out var failure));

        Assert.Null(session);
        Assert.Contains("192.0.2.1", failure);
        Assert.Equal(0, _factory.OpenSocketCount);
    }

    [Fact]
    public void TryCreate_UnknownInterface_FailsNamingTheInterface()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        Assert.False(_factory.TryCreate(Target(IPAddress.Loopback, device: "patronus-nx0"), _ => { }, out _, out var failure));

        Assert.Contains("patronus-nx0", failure);
        Assert.Contains("SO_BINDTODEVICE", failure);
    }

    [Fact]
    public void TryCreate_SourceFamilyDiffersFromTarget_Fails()
    {
        Assert.False(_factory.TryCreate(Target(IPAddress.Loopback, source: IPAddress.IPv6Loopback), _ => { }, out _, out var failure));

        Assert.Contains("different address families", failure);
    }

    [Ipv6LoopbackFact]
    public async Task SendAsync_Ipv6Loopback_RepliesToEverySequence()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = Create(IPAddress.IPv6Loopback, replies);

        await SendRangeAsync(session, 1, 10);

        Assert.True(await replies.WaitForAsync(10, s_deadline), $"{replies.Replies.Count} of 10 replies");
        Assert.Equal(Enumerable.Range(1, 10).Select(s => (uint)s), replies.Replies.Select(r => r.Sequence).Order());
        Assert.All(replies.Replies, r => Assert.InRange(r.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1)));
        Assert.Equal(0, _metrics.Dropped(IcmpProtocol, "not_echo_reply"));
    }

    [Ipv6LoopbackFact]
    public async Task SendAsync_Ipv4MappedIpv6Target_ProbesOverIpv4()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        var session = Create(IPAddress.Loopback.MapToIPv6(), replies);

        await SendRangeAsync(session, 1, 2);

        Assert.True(await replies.WaitForAsync(2, s_deadline));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _factory.DisposeAsync();
        _metrics.Dispose();
    }

    /// <summary>
    /// True when this process has CAP_NET_RAW (root normally has it; a container may drop it).
    /// Otherwise asserts that sessions are refused with the permission message, so the caller
    /// can stop there and the test still checked something.
    /// </summary>
    private bool RawSocketsAllowed()
    {
        if (HasCapNetRaw())
        {
            Assert.True(IcmpProbeSessionFactory.IsAvailable(out var reason), reason);
            return true;
        }

        Assert.False(IcmpProbeSessionFactory.IsAvailable(out _));
        Assert.False(_factory.TryCreate(Target(IPAddress.Loopback), _ => { }, out var session, out var failure));
        Assert.Null(session);
        Assert.StartsWith("ICMP probes need root or CAP_NET_RAW (raw socket: ", failure, StringComparison.Ordinal);
        return false;
    }

    // CAP_NET_RAW is bit 13 of the effective set (linux/capability.h), read from /proc.
    private static bool HasCapNetRaw()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Environment.IsPrivilegedProcess;
        }

        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        var effective = ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (effective & (1UL << 13)) != 0;
    }

    [Fact]
    public async Task DisposeAsync_DuringAFloodOfEchoReplies_ReceiveLoopEndsWithinOneSecond()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        Create(IPAddress.Loopback, replies);

        // Echo replies that are not ours ("XXXX" instead of the Patronus magic): every raw ICMP
        // socket on the host sees them, and a bad_magic drop is what no other test counts on.
        var foreign = new byte[IcmpEchoPacket.Length];
        new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV4, 0, 0, 0x7e57, 1, 0x5858_5858, 1).TryWrite(foreign, out _);
        using var flood = DatagramFlood.Icmp(IPAddress.Loopback, foreign);
        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped(IcmpProtocol, "bad_magic") > 1_000, TimeSpan.FromSeconds(10)), $"the flood is not being received ({flood.Sent} sent)");

        var stopping = Stopwatch.StartNew();
        await _factory.DisposeAsync().AsTask().WaitAsync(s_deadline);

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
    }

    [Fact]
    public async Task EchoReplyLongerThanOurs_DroppedAsTooLong_NotReadWhole()
    {
        if (!RawSocketsAllowed())
        {
            return;
        }

        var replies = new ReplyCollector();
        Create(IPAddress.Loopback, replies);

        // Another pinger's reply with 2,000 octets of payload (ping -s 2000): past the socket's
        // buffer, so it is counted as too long rather than parsed from a truncated copy.
        var big = new byte[IcmpEchoPacket.Length + 2_000];
        new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV4, 0, 0, 0x7e58, 1, IcmpEchoPacket.PatronusMagic, 1).TryWrite(big, out _);
        big[2] = big[3] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(2), InternetChecksum.Compute(big));
        Assert.True(IcmpEchoPacket.IsIcmpV4ChecksumValid(big));
        Assert.True(big.Length + 60 > IcmpSocket.MaxDatagram);
        using var flood = DatagramFlood.Icmp(IPAddress.Loopback, big);

        Assert.True(await Poll.UntilAsync(() => _metrics.Dropped(IcmpProtocol, "too_long") > 10, TimeSpan.FromSeconds(10)),
            $"no too_long drops ({flood.Sent} sent; bad_checksum {_metrics.Dropped(IcmpProtocol, "bad_checksum")}, unmatched {_metrics.Dropped(IcmpProtocol, "unmatched")})");
    }

    private IProbeSession Create(IPAddress remote, ReplyCollector replies)
    {
        Assert.True(_factory.TryCreate(Target(remote), replies.OnReply, out var session, out var failure), failure);
        _owned.Add(session!);
        return session!;
    }

    private static ProbeTarget Target(IPAddress remote, IPAddress? source = null, string? device = null) =>
        new("path-icmp", 0, new IPEndPoint(remote, 862), source, device);

    private static async Task SendRangeAsync(IProbeSession session, uint first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(await session.SendAsync(first + (uint)i, CancellationToken.None));
        }
    }
}
