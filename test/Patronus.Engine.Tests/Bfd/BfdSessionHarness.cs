using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// One <see cref="BfdSessionState"/> on a fake clock, with the simulated peer's packets as input
/// and ours read back from the bytes we would send.
/// </summary>
internal sealed class BfdSessionHarness
{
    public static readonly BfdSessionSettings Default = new(300_000, 300_000, 3);

    public BfdSessionHarness(BfdSessionSettings? settings = null, int seed = 5880)
    {
        Session = new BfdSessionState(settings ?? Default, BfdPackets.LocalDiscr, Time, new Random(seed), Time.GetTimestamp());
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    public BfdSessionState Session { get; }

    public List<BfdStateChange> Changes { get; } = [];

    public long Now => Time.GetTimestamp();

    public static long Ticks(double milliseconds) => (long)(milliseconds * TimeSpan.TicksPerMillisecond);

    public BfdReceiveResult Receive(BfdControlPacket packet) => Receive(packet.Bytes());

    public BfdReceiveResult Receive(byte[] datagram)
    {
        Assert.Equal(BfdDropReason.None, BfdReception.Check(datagram, out var packet));
        var result = Session.OnPacketReceived(datagram, packet, Now);
        Record(result.StateChange);
        return result;
    }

    public BfdControlPacket Send() => BfdControlPacket.TryRead(SendBytes(), out var packet) ? packet : throw new InvalidOperationException();

    public byte[] SendBytes()
    {
        var buffer = new byte[64];
        Assert.True(Session.TryBuildPacket(buffer, Now, out var written));
        return buffer[..written];
    }

    public BfdTimerResult Tick()
    {
        var result = Session.OnTimer(Now);
        Record(result.StateChange);
        return result;
    }

    public void Advance(TimeSpan by) => Time.Advance(by);

    public void AdvanceTo(long timestamp)
    {
        if (timestamp > Now)
        {
            Time.Advance(TimeSpan.FromTicks(timestamp - Now));
        }
    }

    /// <summary>Down → Init → Up by the peer's Down and Up; our Poll for the faster timers is left running.</summary>
    public void BringUp(uint peerDesiredMinTx = 300_000, uint peerRequiredMinRx = 300_000)
    {
        Receive(BfdPackets.FromPeer(BfdState.Down, your: 0, desiredMinTx: 1_000_000, requiredMinRx: peerRequiredMinRx));
        Assert.Equal(BfdState.Init, Session.SessionState);
        Receive(BfdPackets.FromPeer(BfdState.Up, desiredMinTx: peerDesiredMinTx, requiredMinRx: peerRequiredMinRx));
        Assert.Equal(BfdState.Up, Session.SessionState);
    }

    /// <summary><see cref="BringUp"/>, then our Poll is sent and answered.</summary>
    public void BringUpSettled(uint peerDesiredMinTx = 300_000, uint peerRequiredMinRx = 300_000)
    {
        BringUp(peerDesiredMinTx, peerRequiredMinRx);
        Assert.True(Send().Poll);
        Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final, desiredMinTx: peerDesiredMinTx, requiredMinRx: peerRequiredMinRx));
        Assert.False(Session.PollActive);
    }

    private void Record(BfdStateChange? change)
    {
        if (change is { } c)
        {
            Changes.Add(c);
        }
    }
}
