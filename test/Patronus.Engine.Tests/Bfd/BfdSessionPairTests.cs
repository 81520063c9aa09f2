using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Two sessions talking to each other through the pure logic only.</summary>
public class BfdSessionPairTests
{
    private static readonly BfdSessionSettings s_fast = new(300_000, 300_000, 3);

    [Fact]
    public void Pair_ComesUpAndSettlesOnConfiguredTimers()
    {
        var pair = new BfdSessionPair(s_fast, s_fast);

        pair.Run(TimeSpan.FromSeconds(3));
        Assert.Equal((BfdState.Up, BfdState.Up), (pair.A.SessionState, pair.B.SessionState));
        pair.Run(TimeSpan.FromSeconds(30));

        foreach (var s in new[] { pair.A, pair.B })
        {
            Assert.Equal(BfdState.Up, s.SessionState);
            Assert.False(s.PollActive);
            Assert.Equal(300_000u, s.TransmitInterval);
            Assert.Equal(900_000ul, s.DetectionTime);
        }

        Assert.Empty(pair.Drops);
        Assert.DoesNotContain(pair.Changes, c => c.Change.NewState == BfdState.Down);
        // ~2 × 30 s / (0.875 × 300 ms) periodic packets, plus a few Finals.
        Assert.InRange(pair.Sent, 200, 260);
    }

    [Fact]
    public void Pair_LinkCut_BothDetectThenRecover()
    {
        var pair = new BfdSessionPair(s_fast, s_fast);
        pair.Run(TimeSpan.FromSeconds(5));
        var cutAt = pair.Time.GetTimestamp();

        pair.AToB = pair.BToA = false;
        pair.Run(TimeSpan.FromSeconds(2));

        var downs = pair.Changes.Where(c => c.Change.NewState == BfdState.Down).ToList();
        Assert.Equal(2, downs.Count);
        Assert.All(downs, d =>
        {
            Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, d.Change.Diagnostic);
            Assert.InRange(d.Change.Timestamp - cutAt, 0, TimeSpan.FromMilliseconds(900).Ticks);
        });
        Assert.Equal((0u, 0u), (pair.A.RemoteDiscr, pair.B.RemoteDiscr));

        pair.AToB = pair.BToA = true;
        pair.Run(TimeSpan.FromSeconds(5));
        Assert.Equal((BfdState.Up, BfdState.Up), (pair.A.SessionState, pair.B.SessionState));
    }

    [Fact]
    public void Pair_OneWayLoss_SilentSideTimesOutAndTellsTheOther()
    {
        var pair = new BfdSessionPair(s_fast, s_fast);
        pair.Run(TimeSpan.FromSeconds(5));

        var cutAt = pair.Time.GetTimestamp();
        pair.AToB = false;
        pair.Run(TimeSpan.FromSeconds(2));

        var b = pair.Changes.Single(c => c.Session == 'B' && c.Change.NewState == BfdState.Down);
        var a = pair.Changes.Single(c => c.Session == 'A' && c.Change.NewState == BfdState.Down);
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, b.Change.Diagnostic);
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, a.Change.Diagnostic);
        // B's detection time, then at most one of B's 300 ms intervals: the Down is not held back to the slow rate.
        Assert.InRange(b.Change.Timestamp - cutAt, 0, TimeSpan.FromMilliseconds(900).Ticks);
        Assert.InRange(a.Change.Timestamp - b.Change.Timestamp, 0, TimeSpan.FromMilliseconds(300).Ticks);
    }

    [Fact]
    public void Pair_AdminDownAndBack()
    {
        var pair = new BfdSessionPair(s_fast, s_fast);
        pair.Run(TimeSpan.FromSeconds(5));

        pair.A.SetAdminDown(BfdDiagnostic.AdministrativelyDown, pair.Time.GetTimestamp());
        pair.Run(TimeSpan.FromSeconds(30));

        Assert.Equal((BfdState.AdminDown, BfdState.Down), (pair.A.SessionState, pair.B.SessionState));
        Assert.Equal(BfdStateChangeReason.NeighborAdminDown, pair.Changes.Last(c => c.Session == 'B').Change.Reason);
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, pair.B.LocalDiag);

        pair.A.ClearAdminDown(pair.Time.GetTimestamp());
        pair.Run(TimeSpan.FromSeconds(5));

        Assert.Equal((BfdState.Up, BfdState.Up), (pair.A.SessionState, pair.B.SessionState));
    }

    [Fact]
    public void Pair_AsymmetricTimers_EachSendsAtTheSlowerOfItsTxAndPeersRx()
    {
        var pair = new BfdSessionPair(new(50_000, 1_000_000, 3), new(400_000, 100_000, 5));

        pair.Run(TimeSpan.FromSeconds(20));

        Assert.Equal((BfdState.Up, BfdState.Up), (pair.A.SessionState, pair.B.SessionState));
        Assert.Equal(100_000u, pair.A.TransmitInterval);   // max(50 ms, B's Required Min RX 100 ms)
        Assert.Equal(1_000_000u, pair.B.TransmitInterval); // max(400 ms, A's Required Min RX 1 s)
        Assert.Equal(5_000_000ul, pair.A.DetectionTime);   // B's mult 5 × max(1 s, 400 ms)
        Assert.Equal(300_000ul, pair.B.DetectionTime);     // A's mult 3 × max(100 ms, 50 ms)
    }

    [Fact]
    public void Pair_TimerChangeWhileUp_NoFlap()
    {
        var pair = new BfdSessionPair(s_fast, s_fast);
        pair.Run(TimeSpan.FromSeconds(5));

        // Slow A's transmissions down tenfold: B must lengthen its Detection Time before A slows.
        pair.A.Reconfigure(s_fast with { DesiredMinTxInterval = 3_000_000 });
        pair.Run(TimeSpan.FromSeconds(30));
        pair.A.Reconfigure(s_fast);
        pair.Run(TimeSpan.FromSeconds(10));

        Assert.DoesNotContain(pair.Changes, c => c.Change.NewState == BfdState.Down);
        Assert.Equal(300_000u, pair.A.TransmitInterval);
    }

    [Theory]
    [InlineData(BfdAuthType.SimplePassword)]
    [InlineData(BfdAuthType.KeyedMd5)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5)]
    [InlineData(BfdAuthType.KeyedSha1)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1)]
    public void Pair_Authenticated_ComesUpAndStaysUp(BfdAuthType type)
    {
        var settings = s_fast with { Authenticator = BfdAuthenticator.Create(type, 3, "shared"u8) };
        var pair = new BfdSessionPair(settings, settings);

        pair.Run(TimeSpan.FromSeconds(60));

        Assert.Equal((BfdState.Up, BfdState.Up), (pair.A.SessionState, pair.B.SessionState));
        Assert.Empty(pair.Drops);
        Assert.DoesNotContain(pair.Changes, c => c.Change.NewState == BfdState.Down);
    }

    [Fact]
    public void Pair_KeyMismatch_NeverUp()
    {
        var pair = new BfdSessionPair(
            s_fast with { Authenticator = BfdAuthenticator.Create(BfdAuthType.KeyedSha1, 3, "one"u8) },
            s_fast with { Authenticator = BfdAuthenticator.Create(BfdAuthType.KeyedSha1, 3, "two"u8) });

        pair.Run(TimeSpan.FromSeconds(10));

        Assert.Empty(pair.Changes);
        Assert.True(pair.Drops[BfdDropReason.AuthFailed] > 10);
    }
}
