using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>RFC 5880 §6.8.6: every (local state, received state) pair.</summary>
public class BfdTransitionsTests
{
    private const BfdDiagnostic Previous = BfdDiagnostic.ControlDetectionTimeExpired;

    [Theory]
    // Local AdminDown: the packet is discarded, nothing moves.
    [InlineData(BfdState.AdminDown, BfdState.AdminDown, null, null, null)]
    [InlineData(BfdState.AdminDown, BfdState.Down, null, null, null)]
    [InlineData(BfdState.AdminDown, BfdState.Init, null, null, null)]
    [InlineData(BfdState.AdminDown, BfdState.Up, null, null, null)]
    // Local Down: Down → Init, Init → Up; Up is ignored (the peer must first see us); AdminDown changes nothing.
    [InlineData(BfdState.Down, BfdState.AdminDown, null, null, null)]
    [InlineData(BfdState.Down, BfdState.Down, BfdState.Init, Previous, BfdStateChangeReason.Handshake)]
    [InlineData(BfdState.Down, BfdState.Init, BfdState.Up, BfdDiagnostic.None, BfdStateChangeReason.Handshake)]
    [InlineData(BfdState.Down, BfdState.Up, null, null, null)]
    // Local Init: Init or Up → Up; Down keeps Init; AdminDown → Down, diag 3.
    [InlineData(BfdState.Init, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborAdminDown)]
    [InlineData(BfdState.Init, BfdState.Down, null, null, null)]
    [InlineData(BfdState.Init, BfdState.Init, BfdState.Up, BfdDiagnostic.None, BfdStateChangeReason.Handshake)]
    [InlineData(BfdState.Init, BfdState.Up, BfdState.Up, BfdDiagnostic.None, BfdStateChangeReason.Handshake)]
    // Local Up: Down or AdminDown → Down, diag 3; Init and Up keep Up.
    [InlineData(BfdState.Up, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborAdminDown)]
    [InlineData(BfdState.Up, BfdState.Down, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborDown)]
    [InlineData(BfdState.Up, BfdState.Init, null, null, null)]
    [InlineData(BfdState.Up, BfdState.Up, null, null, null)]
    public void OnReceived_Pair_ReturnsTransition(BfdState local, BfdState received, BfdState? state, BfdDiagnostic? diagnostic, BfdStateChangeReason? reason)
    {
        var transition = BfdTransitions.OnReceived(local, received, Previous);

        if (state is null)
        {
            Assert.Null(transition);
        }
        else
        {
            Assert.Equal(new BfdTransition(state.Value, diagnostic!.Value, reason!.Value), transition);
        }
    }

    [Fact]
    public void OnReceived_FlapUpDownUp_TakesTheWholeHandshakeAgain()
    {
        // Up, the peer restarts (Down), then it is heard Down again: Init, then Up only once it says Init.
        var state = BfdState.Up;
        var diag = BfdDiagnostic.None;
        foreach (var (received, expected) in new[] { (BfdState.Down, BfdState.Down), (BfdState.Up, BfdState.Down), (BfdState.Down, BfdState.Init), (BfdState.Down, BfdState.Init), (BfdState.Init, BfdState.Up) })
        {
            if (BfdTransitions.OnReceived(state, received, diag) is { } t)
            {
                state = t.NewState;
                diag = t.Diagnostic;
            }

            Assert.Equal(expected, state);
        }

        Assert.Equal(BfdDiagnostic.None, diag);
    }
}
