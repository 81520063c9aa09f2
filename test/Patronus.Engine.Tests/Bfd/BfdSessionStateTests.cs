using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Reception and the state machine (RFC 5880 §6.8.1, §6.8.6) on a real session.</summary>
public sealed partial class BfdSessionStateTests
{
    [Fact]
    public void New_Variables_HaveTheRfcInitialValues()
    {
        var h = new BfdSessionHarness();
        var s = h.Session;

        Assert.Equal(BfdState.Down, s.SessionState);
        Assert.Equal(BfdState.Down, s.RemoteSessionState);
        Assert.Equal(BfdPackets.LocalDiscr, s.LocalDiscr);
        Assert.Equal(0u, s.RemoteDiscr);
        Assert.Equal(BfdDiagnostic.None, s.LocalDiag);
        Assert.Equal(1_000_000u, s.DesiredMinTxInterval);
        Assert.Equal(300_000u, s.RequiredMinRxInterval);
        Assert.Equal(1u, s.RemoteMinRxInterval);
        Assert.False(s.DemandMode);
        Assert.False(s.RemoteDemandMode);
        Assert.Equal(3, s.DetectMult);
        Assert.Equal(BfdAuthType.None, s.AuthType);
        Assert.False(s.AuthSeqKnown);
        Assert.False(s.PollActive);
        Assert.Equal(h.Now, s.NextTransmitAt);
        Assert.Null(s.DetectionDeadline);
    }

    [Fact]
    public void TryBuildPacket_NewSession_IsFrrLikeDownPacket()
    {
        var h = new BfdSessionHarness();

        byte[] expected =
        [
            0x20, 0x40, 0x03, 0x18, // Vers 1 Diag 0, Down no flags, Detect Mult 3, Length 24
            0x11, 0x11, 0x11, 0x11, // My Discriminator
            0x00, 0x00, 0x00, 0x00, // Your Discriminator: not heard yet
            0x00, 0x0F, 0x42, 0x40, // Desired Min TX 1 s while not Up
            0x00, 0x04, 0x93, 0xE0, // Required Min RX 300 ms as configured
            0x00, 0x00, 0x00, 0x00, // Required Min Echo RX 0: no Echo function
        ];
        Assert.Equal(expected, h.SendBytes());
    }

    [Fact]
    public void Receive_FrrDownPacket_GoesInitAndAnswersWithItsDiscriminator()
    {
        var h = new BfdSessionHarness();

        var result = h.Receive(Wire.BfdControlPacketTests.FrrDown);

        Assert.True(result.Accepted);
        Assert.Equal(new BfdStateChange(BfdState.Down, BfdState.Init, BfdDiagnostic.None, BfdStateChangeReason.Handshake, h.Now), result.StateChange);
        Assert.Equal(0x6D0A_5B11u, h.Session.RemoteDiscr);
        Assert.Equal(300_000u, h.Session.RemoteMinRxInterval);
        var sent = h.Send();
        Assert.Equal(BfdState.Init, sent.State);
        Assert.Equal(0x6D0A_5B11u, sent.YourDiscriminator);
    }

    [Fact]
    public void Handshake_DownInitUp_TwoChanges()
    {
        var h = new BfdSessionHarness();

        h.BringUp();

        Assert.Equal([(BfdState.Down, BfdState.Init), (BfdState.Init, BfdState.Up)], h.Changes.Select(c => (c.OldState, c.NewState)));
        Assert.All(h.Changes, c => Assert.Equal(BfdStateChangeReason.Handshake, c.Reason));
        Assert.Equal(BfdDiagnostic.None, h.Session.LocalDiag);
    }

    public static TheoryData<BfdState, BfdState, BfdState, BfdDiagnostic, BfdDropReason> EveryPair => new()
    {
        { BfdState.AdminDown, BfdState.AdminDown, BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, BfdDropReason.SessionAdminDown },
        { BfdState.AdminDown, BfdState.Down, BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, BfdDropReason.SessionAdminDown },
        { BfdState.AdminDown, BfdState.Init, BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, BfdDropReason.SessionAdminDown },
        { BfdState.AdminDown, BfdState.Up, BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown, BfdDropReason.SessionAdminDown },
        { BfdState.Down, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Down, BfdState.Down, BfdState.Init, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Down, BfdState.Init, BfdState.Up, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Down, BfdState.Up, BfdState.Down, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Init, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdDropReason.None },
        { BfdState.Init, BfdState.Down, BfdState.Init, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Init, BfdState.Init, BfdState.Up, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Init, BfdState.Up, BfdState.Up, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Up, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdDropReason.None },
        { BfdState.Up, BfdState.Down, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdDropReason.None },
        { BfdState.Up, BfdState.Init, BfdState.Up, BfdDiagnostic.None, BfdDropReason.None },
        { BfdState.Up, BfdState.Up, BfdState.Up, BfdDiagnostic.None, BfdDropReason.None },
    };

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Receive_EveryStatePair_NewStateAndDiag(BfdState local, BfdState received, BfdState expected, BfdDiagnostic diag, BfdDropReason drop)
    {
        var h = InState(local);

        var result = h.Receive(BfdPackets.FromPeer(received));

        Assert.Equal(drop, result.Drop);
        Assert.Equal(expected, h.Session.SessionState);
        Assert.Equal(diag, h.Session.LocalDiag);
        Assert.Equal(expected != local, result.StateChange is not null);
        Assert.Equal(received, h.Session.RemoteSessionState); // recorded even when AdminDown discards the packet
    }

    [Fact]
    public void Receive_UpThenPeerDown_DownWithDiag3AndKeepsRemoteDiscr()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled();

        var result = h.Receive(BfdPackets.FromPeer(BfdState.Down, diagnostic: BfdDiagnostic.ControlDetectionTimeExpired));

        Assert.Equal(new BfdStateChange(BfdState.Up, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborDown, h.Now), result.StateChange);
        Assert.Equal(BfdPackets.PeerDiscr, h.Session.RemoteDiscr);
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, h.Session.RemoteDiagnostic);
        var sent = h.Send();
        Assert.Equal((BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, 1_000_000u), (sent.State, sent.Diagnostic, sent.DesiredMinTxInterval));
    }

    [Fact]
    public void Receive_PeerAdminDownWhileUp_DownWithDiag3()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled();

        var result = h.Receive(BfdPackets.FromPeer(BfdState.AdminDown, diagnostic: BfdDiagnostic.AdministrativelyDown));

        Assert.Equal(BfdStateChangeReason.NeighborAdminDown, result.StateChange?.Reason);
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, h.Session.LocalDiag);
        Assert.Equal(BfdDiagnostic.AdministrativelyDown, h.Session.RemoteDiagnostic);
    }

    [Fact]
    public void Receive_ReachingUpAgain_ClearsDiag()
    {
        var h = new BfdSessionHarness();
        h.BringUpSettled();
        h.Receive(BfdPackets.FromPeer(BfdState.Down));
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, h.Session.LocalDiag);

        h.Receive(BfdPackets.FromPeer(BfdState.Down));
        Assert.Equal((BfdState.Init, BfdDiagnostic.NeighborSignaledSessionDown), (h.Session.SessionState, h.Session.LocalDiag));
        h.Receive(BfdPackets.FromPeer(BfdState.Up));

        Assert.Equal((BfdState.Up, BfdDiagnostic.None), (h.Session.SessionState, h.Session.LocalDiag));
    }

    [Fact]
    public void Receive_ABitWithoutAuthConfigured_Dropped()
    {
        var h = new BfdSessionHarness();
        var bytes = new byte[28];
        (BfdPackets.FromPeer(BfdState.Down, your: 0, bits: BfdControlBits.AuthenticationPresent) with { Length = 28 }).TryWrite(bytes, out _);
        bytes[24] = 1;
        bytes[25] = 4;
        Assert.Equal(BfdDropReason.None, BfdReception.Check(bytes, out var packet));

        var result = h.Session.OnPacketReceived(bytes, packet, h.Now);

        Assert.Equal(BfdDropReason.AuthPresentButNotConfigured, result.Drop);
        Assert.Equal(BfdState.Down, h.Session.SessionState);
        Assert.Equal(0u, h.Session.RemoteDiscr);
    }

    [Fact]
    public void ToSnapshot_CopiesVariables()
    {
        var h = InState(BfdState.Up);

        var snapshot = h.Session.ToSnapshot();

        Assert.Equal(
            new BfdSessionSnapshot(BfdState.Up, BfdState.Up, BfdPackets.LocalDiscr, BfdPackets.PeerDiscr, BfdDiagnostic.None, BfdDiagnostic.None,
                300_000, 300_000, 300_000, 300_000, 3, 3, 300_000, 900_000, false, BfdAuthType.None),
            snapshot);
    }

    [Fact]
    public void Settings_FromMilliseconds_ConvertsAndValidates()
    {
        Assert.Equal(new BfdSessionSettings(300_000, 0, 3, true), BfdSessionSettings.FromMilliseconds(300, 0, 3, passive: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => BfdSessionSettings.FromMilliseconds(0, 300, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => BfdSessionSettings.FromMilliseconds(300, 300, 256));
        Assert.Throws<ArgumentException>(() => new BfdSessionHarness(new BfdSessionSettings(300_000, 300_000, 0)));
        Assert.Throws<ArgumentException>(() => new BfdSessionHarness(new BfdSessionSettings(0, 300_000, 3)));
    }

    internal static BfdSessionHarness InState(BfdState state, BfdSessionSettings? settings = null)
    {
        var h = new BfdSessionHarness(settings);
        switch (state)
        {
            case BfdState.AdminDown:
                h.Session.SetAdminDown(BfdDiagnostic.AdministrativelyDown, h.Now);
                break;
            case BfdState.Init:
                h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0));
                break;
            case BfdState.Up:
                h.BringUpSettled();
                break;
        }

        Assert.Equal(state, h.Session.SessionState);
        return h;
    }
}
