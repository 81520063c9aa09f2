using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Poll and Final (RFC 5880 §6.5) and the timer changes they gate (§6.8.3).</summary>
public sealed partial class BfdSessionStateTests
{
    [Fact]
    public void ReceivePoll_AnswersFinalAtOnceWithoutPoll()
    {
        var h = InState(BfdState.Up);
        var periodic = h.Session.NextTransmitAt;

        var result = h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Poll));

        Assert.True(result.TransmitFinal);
        Assert.True(h.Session.FinalPending);
        Assert.True(h.Session.IsTransmitDue(h.Now));
        var sent = h.Send();
        Assert.True(sent.Final);
        Assert.False(sent.Poll);
        Assert.False(h.Session.FinalPending);
        Assert.Equal(periodic, h.Session.NextTransmitAt); // the Final is extra: the periodic timer is untouched
        Assert.False(h.Send().Final);
    }

    [Fact]
    public void ReceivePoll_WhileOurPollRuns_FinalHasNoPollThenPollResumes()
    {
        var h = new BfdSessionHarness();
        h.BringUp();
        Assert.True(h.Session.PollActive);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Poll));
        var final = h.Send();
        var next = h.Send();

        Assert.Equal((true, false), (final.Final, final.Poll));
        Assert.Equal((false, true), (next.Final, next.Poll));
    }

    [Theory]
    [InlineData(BfdState.Down)]
    [InlineData(BfdState.Init)]
    public void ReceivePoll_NotUp_StillAnswered(BfdState state)
    {
        var h = InState(state);

        Assert.True(h.Receive(BfdPackets.FromPeer(state == BfdState.Down ? BfdState.Up : BfdState.Down, bits: BfdControlBits.Poll)).TransmitFinal);
        Assert.True(h.Send().Final);
    }

    [Fact]
    public void ReceivePoll_AdminDown_DiscardedAndNotAnswered()
    {
        var h = InState(BfdState.AdminDown);

        var result = h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Poll));

        Assert.Equal(BfdDropReason.SessionAdminDown, result.Drop);
        Assert.False(result.TransmitFinal);
        Assert.False(h.Send().Final);
    }

    [Fact]
    public void GoingUp_FasterTimers_ApplyAtOnceAndArePolled()
    {
        var h = new BfdSessionHarness();
        h.Send();
        h.BringUp();

        Assert.True(h.Session.PollActive);
        Assert.Equal(300_000u, h.Session.DesiredMinTxInterval);
        Assert.Equal(300_000u, h.Session.DesiredMinTxInForce); // a decrease needs no confirmation
        Assert.Equal(300_000u, h.Session.TransmitInterval);
        var sent = h.Send();
        Assert.True(sent.Poll);
        Assert.Equal(300_000u, sent.DesiredMinTxInterval);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final));

        Assert.False(h.Session.PollActive);
        Assert.False(h.Send().Poll);
    }

    [Fact]
    public void FinalWithoutOurPollSent_DoesNotEndThePoll()
    {
        var h = new BfdSessionHarness();
        h.BringUp();

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final));

        Assert.True(h.Session.PollActive);
    }

    [Fact]
    public void IncreaseDesiredMinTxWhileUp_InForceOnlyAfterFinal()
    {
        var h = InState(BfdState.Up);

        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 500_000 });

        Assert.True(h.Session.PollActive);
        Assert.Equal(500_000u, h.Session.DesiredMinTxInterval);
        Assert.Equal(300_000u, h.Session.DesiredMinTxInForce);
        Assert.Equal(300_000u, h.Session.TransmitInterval);
        var sent = h.Send();
        Assert.Equal((true, 500_000u), (sent.Poll, sent.DesiredMinTxInterval)); // the new value is advertised at once
        Assert.Equal(300_000u, h.Session.TransmitInterval);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final));

        Assert.False(h.Session.PollActive);
        Assert.Equal(500_000u, h.Session.TransmitInterval);
    }

    [Fact]
    public void DecreaseRequiredMinRxWhileUp_DetectionTimeShrinksOnlyAfterFinal()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled(peerDesiredMinTx: 50_000);
        Assert.Equal(900_000ul, h.Session.DetectionTime);

        h.Session.Reconfigure(BfdSessionHarness.Default with { RequiredMinRxInterval = 100_000 });

        Assert.Equal(100_000u, h.Session.RequiredMinRxInterval);
        Assert.Equal(900_000ul, h.Session.DetectionTime);
        Assert.Equal(100_000u, h.Send().RequiredMinRxInterval);
        h.Receive(BfdPackets.FromPeer(BfdState.Up, desiredMinTx: 50_000));
        Assert.Equal(900_000ul, h.Session.DetectionTime);

        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final, desiredMinTx: 50_000));

        Assert.Equal(300_000ul, h.Session.DetectionTime); // 3 × max(100 ms, 50 ms)
        Assert.Equal(h.Now + BfdSessionHarness.Ticks(300), h.Session.DetectionDeadline);
    }

    [Fact]
    public void IncreaseRequiredMinRxWhileUp_DetectionTimeGrowsAtOnce()
    {
        var h = InState(BfdState.Up);

        h.Session.Reconfigure(BfdSessionHarness.Default with { RequiredMinRxInterval = 1_000_000 });

        Assert.True(h.Session.PollActive);
        Assert.Equal(3_000_000ul, h.Session.DetectionTime);
    }

    [Fact]
    public void DecreaseDesiredMinTxWhileUp_AppliesAtOnceAndIsPolled()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled(peerRequiredMinRx: 100_000);

        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 100_000 });

        Assert.True(h.Session.PollActive);
        Assert.Equal(100_000u, h.Session.TransmitInterval);
    }

    [Fact]
    public void ReconfigureWhileDown_AppliesAtOnceWithoutPoll()
    {
        var h = new BfdSessionHarness();

        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 2_000_000, RequiredMinRxInterval = 100_000, DetectMult = 5 });

        Assert.False(h.Session.PollActive);
        Assert.Equal(2_000_000u, h.Session.DesiredMinTxInForce);
        Assert.Equal(100_000u, h.Session.RequiredMinRxInForce);
        var sent = h.Send();
        Assert.Equal((false, (byte)5, 2_000_000u, 100_000u), (sent.Poll, sent.DetectMult, sent.DesiredMinTxInterval, sent.RequiredMinRxInterval));
    }

    [Fact]
    public void ChangeDuringPoll_FinalAppliesOnlyWhatWasPolledThenPollsAgain()
    {
        var h = InState(BfdState.Up);
        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 500_000 });
        Assert.Equal(500_000u, h.Send().DesiredMinTxInterval);

        h.Session.Reconfigure(BfdSessionHarness.Default with { DesiredMinTxInterval = 700_000 });
        Assert.Equal(700_000u, h.Send().DesiredMinTxInterval);
        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final));

        // The Final may answer the 500 ms Poll: 500 ms is safe, 700 ms needs another round.
        Assert.Equal(500_000u, h.Session.DesiredMinTxInForce);
        Assert.True(h.Session.PollActive);
        Assert.True(h.Send().Poll);
        h.Receive(BfdPackets.FromPeer(BfdState.Up, bits: BfdControlBits.Final));

        Assert.Equal(700_000u, h.Session.DesiredMinTxInForce);
        Assert.False(h.Session.PollActive);
    }

    [Fact]
    public void GoingDownDuringPoll_PollEndsAndSlowRateAppliesAtOnce()
    {
        var h = new BfdSessionHarness();
        h.BringUp();
        Assert.True(h.Session.PollActive);

        h.Receive(BfdPackets.FromPeer(BfdState.Down));

        Assert.False(h.Session.PollActive);
        Assert.Equal(1_000_000u, h.Session.DesiredMinTxInForce);
        Assert.False(h.Send().Poll);
    }
}
