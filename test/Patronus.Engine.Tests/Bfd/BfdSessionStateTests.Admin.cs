using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Administrative control (RFC 5880 §6.8.16).</summary>
public sealed partial class BfdSessionStateTests
{
    [Theory]
    [InlineData(BfdState.Down)]
    [InlineData(BfdState.Init)]
    [InlineData(BfdState.Up)]
    public void SetAdminDown_AnyState_AdminDownDiag7AndKeepsSending(BfdState from)
    {
        var h = InState(from);

        var change = h.Session.SetAdminDown(BfdDiagnostic.AdministrativelyDown, h.Now);

        Assert.Equal(new BfdStateChange(from, BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, BfdStateChangeReason.AdminDown, h.Now), change);
        Assert.NotNull(h.Session.NextTransmitAt);
        Assert.False(h.Session.PollActive);
        var sent = h.Send();
        Assert.Equal((BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, 1_000_000u), (sent.State, sent.Diagnostic, sent.DesiredMinTxInterval));
        Assert.InRange(h.Session.NextTransmitAt!.Value - h.Now, BfdSessionHarness.Ticks(750), BfdSessionHarness.Ticks(1000));
    }

    [Fact]
    public void SetAdminDown_PathDown_CarriesDiag5()
    {
        var h = InState(BfdState.Up);

        h.Session.SetAdminDown(BfdDiagnostic.PathDown, h.Now);

        Assert.Equal(BfdDiagnostic.PathDown, h.Send().Diagnostic);
    }

    [Fact]
    public void SetAdminDown_Twice_SecondReturnsNull()
    {
        var h = InState(BfdState.Up);
        h.Session.SetAdminDown(BfdDiagnostic.AdministrativelyDown, h.Now);

        Assert.Null(h.Session.SetAdminDown(BfdDiagnostic.PathDown, h.Now));
        Assert.Equal(BfdDiagnostic.PathDown, h.Session.LocalDiag);
    }

    [Fact]
    public void AdminDown_PeerPackets_DiscardedStateHeld()
    {
        var h = InState(BfdState.AdminDown);

        foreach (var state in new[] { BfdState.Down, BfdState.Init, BfdState.Up })
        {
            Assert.Equal(BfdDropReason.SessionAdminDown, h.Receive(BfdPackets.FromPeer(state)).Drop);
        }

        Assert.Equal(BfdState.AdminDown, h.Session.SessionState);
        Assert.Empty(h.Changes);
        Assert.Equal(BfdPackets.PeerDiscr, h.Session.RemoteDiscr);
        h.AdvanceTo(h.Session.DetectionDeadline!.Value);
        Assert.Null(h.Tick().StateChange);
        Assert.Equal(0u, h.Session.RemoteDiscr); // §6.8.1 holds in AdminDown too
    }

    [Fact]
    public void ClearAdminDown_DownThenHandshakeAgain()
    {
        var h = InState(BfdState.Up);
        h.Session.SetAdminDown(BfdDiagnostic.AdministrativelyDown, h.Now);

        var change = h.Session.ClearAdminDown(h.Now);

        Assert.Equal(new BfdStateChange(BfdState.AdminDown, BfdState.Down, BfdDiagnostic.AdministrativelyDown, BfdStateChangeReason.AdminUp, h.Now), change);
        Assert.Null(h.Session.ClearAdminDown(h.Now));
        h.Receive(BfdPackets.FromPeer(BfdState.Down));
        h.Receive(BfdPackets.FromPeer(BfdState.Up));
        Assert.Equal(BfdState.Up, h.Session.SessionState);
    }

    [Fact]
    public void PeerAdminDown_OurDownSessionStaysDown()
    {
        var h = new BfdSessionHarness();

        var result = h.Receive(BfdPackets.FromPeer(BfdState.AdminDown, your: 0, diagnostic: BfdDiagnostic.AdministrativelyDown));

        Assert.True(result.Accepted);
        Assert.Null(result.StateChange);
        Assert.Equal((BfdState.Down, BfdDiagnostic.None), (h.Session.SessionState, h.Session.LocalDiag));
    }
}
