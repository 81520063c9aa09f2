using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Probes.Stamp;
using Patronus.TestSupport;
using TestPoll = Patronus.TestSupport.Poll;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>
/// The reflector against a hostile sender, on loopback with real sockets: spoofed sources (raw
/// sockets, so root; CI runs as root) must not start a loop, one source is rate-limited, and a
/// flood cannot keep the reflector from stopping. "Nothing more happened" is proved without
/// sleeping: a sentinel test packet sent afterwards is answered, and the reflector handles its
/// socket in order, so everything before the sentinel has been handled by then.
/// </summary>
public sealed class StampReflectorAbuseTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(5);
    private readonly RecordedProbeMetrics _metrics = new();

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task Reflector_SpoofedTestPacketFromItself_DroppedAndNoLoop()
    {
        if (!SpoofedUdp.IsAvailable)
        {
            return;
        }

        var reflector = Start(_metrics);
        try
        {
            SpoofedUdp.Send(reflector.LocalEndPoint, reflector.LocalEndPoint, TestPacket(1));

            await TestPoll.AssertAsync(() => _metrics.Dropped("reflector", "reflector_port") == 1, s_deadline, "the self-sourced test packet is dropped");
            await AssertAnswersSentinelAsync(reflector, _metrics, reflectedInAll: 1);
        }
        finally
        {
            await StopWithinAsync(reflector, s_deadline);
        }
    }

    [Fact]
    public async Task Reflectors_SpoofedTestPacketFromAnotherReflector_OneReplyThenDroppedThere()
    {
        if (!SpoofedUdp.IsAvailable)
        {
            return;
        }

        using var metricsB = new RecordedProbeMetrics();
        var a = Start(_metrics);
        var b = Start(metricsB);
        try
        {
            // A answers B (it cannot know B is a reflector); B sees a reflector's reply and stops there.
            SpoofedUdp.Send(b.LocalEndPoint, a.LocalEndPoint, TestPacket(1));

            await TestPoll.AssertAsync(() => metricsB.Dropped("reflector", "reflected_packet") == 1, s_deadline, "B drops A's reply");
            await AssertAnswersSentinelAsync(a, _metrics, reflectedInAll: 2);
            await AssertAnswersSentinelAsync(b, metricsB, reflectedInAll: 1);
            Assert.Equal(0, _metrics.Dropped("reflector", "reflected_packet"));
        }
        finally
        {
            await StopWithinAsync(a, s_deadline);
            await StopWithinAsync(b, s_deadline);
        }
    }

    [Theory]
    [InlineData(7, "well_known_port")]
    [InlineData(19, "well_known_port")]
    [InlineData(862, "reflector_port")]
    [InlineData(0, "bad_source")]
    public async Task Reflector_TestPacketFromServicePort_Dropped(int sourcePort, string reason)
    {
        if (!SpoofedUdp.IsAvailable)
        {
            return;
        }

        var reflector = Start(_metrics);
        try
        {
            SpoofedUdp.Send(new IPEndPoint(IPAddress.Loopback, sourcePort), reflector.LocalEndPoint, TestPacket(1));

            await TestPoll.AssertAsync(() => _metrics.Dropped("reflector", reason) == 1, s_deadline, $"dropped as {reason}");
            await AssertAnswersSentinelAsync(reflector, _metrics, reflectedInAll: 1);
        }
        finally
        {
            await StopWithinAsync(reflector, s_deadline);
        }
    }

    [Fact]
    public async Task Reflector_MoreThanTheBurstFromOneSource_RateLimitedUntilTheBucketRefills()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var options = new StampReflectorOptions { PerSourceBurst = 3, PerSourceRate = 1 };
        await using var reflector = StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), clock, _metrics.Metrics, NullLogger.Instance, options);
        using var client = ReflectorClient.Connected(reflector.LocalEndPoint);

        for (var i = 1u; i <= 5; i++)
        {
            client.Send(TestPacket(i));
        }

        await TestPoll.AssertAsync(() => Reflected(_metrics) + _metrics.Dropped("reflector", "rate_limited") == 5, s_deadline, "all five handled");
        Assert.Equal(3, Reflected(_metrics));
        Assert.Equal(2, _metrics.Dropped("reflector", "rate_limited"));

        // One second of the monotonic clock refills one token, no more.
        clock.Advance(TimeSpan.FromSeconds(1));
        client.Send(TestPacket(6));
        client.Send(TestPacket(7));
        await TestPoll.AssertAsync(() => Reflected(_metrics) + _metrics.Dropped("reflector", "rate_limited") == 7, s_deadline, "both handled");
        Assert.Equal(4, Reflected(_metrics));
    }

    [Fact]
    public async Task DisposeAsync_DuringAFlood_EndsWithinOneSecond()
    {
        var reflector = Start(_metrics);
        using var flood = DatagramFlood.Udp(reflector.LocalEndPoint, TestPacket(1));
        await TestPoll.AssertAsync(() => Reflected(_metrics) > 1_000, s_deadline, "the flood is being answered");

        var stopping = Stopwatch.StartNew();
        await StopWithinAsync(reflector, s_deadline);

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
    }

    internal static byte[] TestPacket(uint sequence)
    {
        var bytes = new byte[StampSenderPacket.Size];
        new StampSenderPacket(sequence, new NtpTimestamp(0x1234_5678_0000_0000), ErrorEstimate.Unsynchronized).TryWrite(bytes, out _);
        return bytes;
    }

    /// <summary>Disposes, failing the test (instead of hanging it) when the receive loop does not end.</summary>
    internal static async Task StopWithinAsync(StampReflector reflector, TimeSpan deadline)
    {
        try
        {
            await reflector.DisposeAsync().AsTask().WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the reflector on {reflector.LocalEndPoint} did not stop within {deadline.TotalSeconds} s");
        }
    }

    private static StampReflector Start(RecordedProbeMetrics metrics) =>
        StampReflector.Start(new IPEndPoint(IPAddress.Loopback, 0), TimeProvider.System, metrics.Metrics, NullLogger.Instance);

    private static long Reflected(RecordedProbeMetrics metrics) => metrics.Count("patronus.reflector.reflected");

    // The reply can reach the client before the reflector has counted it: wait for the count,
    // then check that it is no higher.
    private static async Task AssertAnswersSentinelAsync(StampReflector reflector, RecordedProbeMetrics metrics, long reflectedInAll)
    {
        using var client = ReflectorClient.Connected(reflector.LocalEndPoint);
        client.Send(TestPacket(0x5E47));
        Assert.True(StampReflectorPacket.TryRead(await ReflectorClient.ReceiveAsync(client), out var reply));
        Assert.Equal(0x5E47u, reply.SenderSequence);
        await TestPoll.AssertAsync(() => Reflected(metrics) >= reflectedInAll, s_deadline, $"{reflectedInAll} reflected");
        Assert.Equal(reflectedInAll, Reflected(metrics));
    }
}
