using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Detection (RFC 5880 §6.8.4, §6.8.1) and transmission (§6.8.7) on the fake clock.</summary>
public sealed partial class BfdSessionStateTests
{
    [Fact]
    public void DetectionTime_FromNegotiatedValues()
    {
        var h = new BfdSessionHarness();

        h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0, desiredMinTx: 200_000, detectMult: 5));

        Assert.Equal(1_500_000ul, h.Session.DetectionTime); // 5 × max(our 300 ms, its 200 ms)
        Assert.Equal(h.Now + BfdSessionHarness.Ticks(1500), h.Session.DetectionDeadline);

        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0, desiredMinTx: 1_000_000, detectMult: 2));

        Assert.Equal(2_000_000ul, h.Session.DetectionTime);
        Assert.Equal(h.Now + BfdSessionHarness.Ticks(2000), h.Session.DetectionDeadline);
    }

    [Fact]
    public void DetectionExpiry_Up_DownWithDiag1AndRemoteDiscrCleared()
    {
        var h = InState(BfdState.Up);
        var deadline = h.Session.DetectionDeadline!.Value;
        Assert.Equal(h.Now + BfdSessionHarness.Ticks(900), deadline);

        h.AdvanceTo(deadline - 1);
        Assert.Null(h.Tick().StateChange);
        Assert.Equal(BfdState.Up, h.Session.SessionState);

        h.AdvanceTo(deadline);
        var change = h.Tick().StateChange;

        Assert.Equal(new BfdStateChange(BfdState.Up, BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired, BfdStateChangeReason.DetectionTimeExpired, deadline), change);
        Assert.Equal(0u, h.Session.RemoteDiscr);
        Assert.Null(h.Session.DetectionDeadline);
        var sent = h.Send();
        Assert.Equal((BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired, 0u), (sent.State, sent.Diagnostic, sent.YourDiscriminator));
        Assert.Null(h.Tick().StateChange); // expires once
    }

    [Fact]
    public void DetectionExpiry_Init_DownWithDiag1()
    {
        var h = InState(BfdState.Init);

        h.AdvanceTo(h.Session.DetectionDeadline!.Value);

        Assert.Equal((BfdState.Init, BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired), (h.Tick().StateChange?.OldState, h.Session.SessionState, h.Session.LocalDiag));
    }

    [Theory]
    [InlineData(BfdState.Down)]
    [InlineData(BfdState.AdminDown)]
    public void DetectionExpiry_DownOrAdminDown_OnlyClearsRemoteDiscr(BfdState state)
    {
        var h = InState(state);
        h.Receive(BfdPackets.FromPeer(BfdState.AdminDown, your: 0));
        Assert.Equal(BfdPackets.PeerDiscr, h.Session.RemoteDiscr);
        h.Advance(TimeSpan.FromSeconds(3));

        var result = h.Tick();

        Assert.Null(result.StateChange);
        Assert.Equal(state, h.Session.SessionState);
        Assert.Equal(0u, h.Session.RemoteDiscr);
    }

    [Fact]
    public void ValidPacket_PushesDetectionDeadline()
    {
        var h = InState(BfdState.Up);
        for (var i = 0; i < 10; i++)
        {
            h.Advance(TimeSpan.FromMilliseconds(800));
            Assert.Null(h.Tick().StateChange);
            h.Receive(BfdPackets.FromPeer(BfdState.Up));
        }

        Assert.Equal(BfdState.Up, h.Session.SessionState);
    }

    [Theory]
    [InlineData(3, 225, 299)] // 75-100 % of 300 ms, less the 1 ms the loop may send late (BfdTiming.TransmitSlack)
    [InlineData(1, 225, 269)] // 75-90 %, less the same
    public void PeriodicTransmission_JitteredWithinBounds(byte detectMult, int lowMs, int highMs)
    {
        var h = new BfdSessionHarness(BfdSessionHarness.Default with { DetectMult = detectMult }, seed: 42);
        h.BringUpSettled();
        var gaps = new List<long>();
        for (var i = 0; i < 2000; i++)
        {
            var due = h.Session.NextTransmitAt!.Value;
            h.AdvanceTo(due);
            Assert.True(h.Tick().TransmitDue);
            var at = h.Now;
            h.Send();
            gaps.Add(h.Session.NextTransmitAt!.Value - at);
            h.Receive(BfdPackets.FromPeer(BfdState.Up));
        }

        Assert.InRange(gaps.Min(), BfdSessionHarness.Ticks(lowMs), BfdSessionHarness.Ticks(lowMs + 1));
        Assert.InRange(gaps.Max(), BfdSessionHarness.Ticks(highMs - 1), BfdSessionHarness.Ticks(highMs));
    }

    [Fact]
    public void PeriodicTransmission_NotUp_AboutOncePerSecond()
    {
        var h = new BfdSessionHarness();
        h.Send();

        var gap = h.Session.NextTransmitAt!.Value - h.Now;

        Assert.InRange(gap, BfdSessionHarness.Ticks(750), BfdSessionHarness.Ticks(1000));
        Assert.False(h.Session.IsTransmitDue(h.Now));
        Assert.False(h.Tick().TransmitDue);
    }

    [Fact]
    public void TransmitInterval_PeerRequiresSlower_PeerWins()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled(peerRequiredMinRx: 2_000_000);

        Assert.Equal(2_000_000u, h.Session.TransmitInterval);
        h.Send();
        Assert.InRange(h.Session.NextTransmitAt!.Value - h.Now, BfdSessionHarness.Ticks(1500), BfdSessionHarness.Ticks(2000));
    }

    [Fact]
    public void TransmitInterval_PeerSlowsDown_PendingDeadlineRedrawn()
    {
        var h = InState(BfdState.Up);
        var sentAt = h.Now;
        h.Send();
        Assert.True(h.Session.NextTransmitAt <= sentAt + BfdSessionHarness.Ticks(300));

        h.Advance(TimeSpan.FromMilliseconds(10));
        h.Receive(BfdPackets.FromPeer(BfdState.Up, requiredMinRx: 2_000_000));

        Assert.InRange(h.Session.NextTransmitAt!.Value - sentAt, BfdSessionHarness.Ticks(1500), BfdSessionHarness.Ticks(2000));
    }

    [Fact]
    public void LeavingUp_PendingPacketKeepsItsTimeThenSlowRate()
    {
        var h = InState(BfdState.Up);
        h.Send();
        var pending = h.Session.NextTransmitAt!.Value;

        h.Receive(BfdPackets.FromPeer(BfdState.Down));

        Assert.Equal(pending, h.Session.NextTransmitAt); // the Down goes out on the 300 ms schedule
        h.AdvanceTo(pending);
        Assert.Equal(BfdState.Down, h.Send().State);
        Assert.InRange(h.Session.NextTransmitAt!.Value - h.Now, BfdSessionHarness.Ticks(750), BfdSessionHarness.Ticks(1000));
    }

    [Fact]
    public void RemoteMinRxZero_NoPeriodicPacketsButFinalsStill()
    {
        var h = InState(BfdState.Up);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, requiredMinRx: 0));

        Assert.Null(h.Session.NextTransmitAt);
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.False(h.Session.IsTransmitDue(h.Now));
        h.Receive(BfdPackets.FromPeer(BfdState.Up, requiredMinRx: 0, bits: BfdControlBits.Poll));
        Assert.True(h.Session.IsTransmitDue(h.Now));
        Assert.True(h.Send().Final);
    }

    [Fact]
    public void Passive_SilentUntilHeardAndAgainAfterExpiry()
    {
        var h = new BfdSessionHarness(BfdSessionHarness.Default with { Passive = true });

        Assert.Null(h.Session.NextTransmitAt);
        Assert.False(h.Tick().TransmitDue);
        Assert.Null(h.Session.NextDeadline);

        h.Advance(TimeSpan.FromSeconds(5));
        h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0));
        Assert.True(h.Session.IsTransmitDue(h.Now));
        Assert.Equal(BfdPackets.PeerDiscr, h.Send().YourDiscriminator);

        h.AdvanceTo(h.Session.DetectionDeadline!.Value);
        h.Tick();

        Assert.Equal(0u, h.Session.RemoteDiscr);
        Assert.Null(h.Session.NextTransmitAt);
    }

    [Fact]
    public void Passive_UnsentFinalAtExpiry_Dropped()
    {
        var h = new BfdSessionHarness(BfdSessionHarness.Default with { Passive = true });
        h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0, bits: BfdControlBits.Poll));
        Assert.True(h.Session.FinalPending);

        h.AdvanceTo(h.Session.DetectionDeadline!.Value);

        Assert.False(h.Tick().TransmitDue);
        Assert.False(h.Session.FinalPending);
    }

    [Fact]
    public void RemoteDemandMode_BothUp_PeriodicStopsExceptWhilePolling()
    {
        var h = InState(BfdState.Up);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Demand));

        Assert.True(h.Session.RemoteDemandActive);
        Assert.Null(h.Session.NextTransmitAt);
        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 200_000 });
        Assert.NotNull(h.Session.NextTransmitAt);
        Assert.True(h.Send().Poll);
        Assert.False(h.Send().Demand); // never D ourselves
    }

    [Fact]
    public void NextDeadline_IsEarliestOfTransmitAndDetection()
    {
        var h = InState(BfdState.Up);
        h.Send();

        Assert.Equal(Math.Min(h.Session.NextTransmitAt!.Value, h.Session.DetectionDeadline!.Value), h.Session.NextDeadline);
    }
}
