using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// <see cref="BfdEvidence"/> as a table: a session's state changes in order, and after each the
/// score it gives its path (<c>-</c>: no opinion). Changes: <c>init</c>/<c>up</c> (handshake),
/// <c>expired</c> (Down, detection time expired), <c>neighbor-down</c> (Down, the peer said Down),
/// <c>peer-admin</c> (Down, the peer said AdminDown), <c>admin</c> (AdminDown here),
/// <c>admin-up</c> (released: Down).
/// </summary>
public sealed class BfdEvidenceTests
{
    [Theory]
    // Starting: no opinion until the first Up.
    [InlineData("init | up", "- 100")]
    // Real failures count: Down at once, Init on the way back up at most 50.
    [InlineData("up | expired | init | up", "100 0 50 100")]
    [InlineData("up | neighbor-down", "100 0")]
    // RFC 5882 §3.2: the peer's AdminDown is no failure: no opinion, and none on the way back up
    // after its `no shutdown` (Init is "not yet", not "degraded") until Up again.
    [InlineData("up | peer-admin | init | up", "100 - - 100")]
    [InlineData("init | up | init | peer-admin", "- 100 50 -")]
    // Ours likewise: AdminDown, then released (Down) and coming back.
    [InlineData("up | admin | admin-up | init | up", "100 - - - 100")]
    // Flapping around maintenance: each failure after Up counts again, each AdminDown does not.
    [InlineData("up | peer-admin | init | up | expired | init | up | peer-admin | up | neighbor-down",
        "100 - - 100 0 50 100 - 100 0")]
    [InlineData("up | expired | peer-admin", "100 0 0")] // already failed: the peer's later AdminDown changes no state
    public void Score_AfterEachChange(string changes, string scores)
    {
        var session = (State: BfdState.Down, Counts: false);
        var seen = new List<string>();
        foreach (var token in changes.Split('|', StringSplitOptions.TrimEntries))
        {
            session = Step(session, token);
            var (state, counts) = session;
            seen.Add(BfdEvidence.Score(state, counts) is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-");
        }

        Assert.Equal(scores, string.Join(' ', seen));
    }

    [Theory]
    [InlineData(BfdState.Down, BfdStateChangeReason.NeighborAdminDown, true)]
    [InlineData(BfdState.AdminDown, BfdStateChangeReason.AdminDown, true)]
    [InlineData(BfdState.Down, BfdStateChangeReason.NeighborDown, false)]
    [InlineData(BfdState.Down, BfdStateChangeReason.DetectionTimeExpired, false)]
    [InlineData(BfdState.Down, BfdStateChangeReason.AdminUp, false)]
    public void IsAdministrative(BfdState to, BfdStateChangeReason reason, bool expected) =>
        Assert.Equal(expected, BfdEvidence.IsAdministrative(new BfdStateChange(BfdState.Up, to, BfdDiagnostic.None, reason, 0)));

    /// <summary>A session's state and whether it counts, after the change <paramref name="token"/> names (if it changes the state).</summary>
    internal static (BfdState State, bool Counts) Step((BfdState State, bool Counts) session, string token) =>
        Change(session.State, token) is { } change ? (change.NewState, BfdEvidence.CountsAfter(session.Counts, change)) : session;

    /// <summary>The change a token makes from <paramref name="from"/>; null when it changes no state (the peer's AdminDown while already Down).</summary>
    private static BfdStateChange? Change(BfdState from, string token)
    {
        var (to, reason) = token switch
        {
            "init" => (BfdState.Init, BfdStateChangeReason.Handshake),
            "up" => (BfdState.Up, BfdStateChangeReason.Handshake),
            "expired" => (BfdState.Down, BfdStateChangeReason.DetectionTimeExpired),
            "neighbor-down" => (BfdState.Down, BfdStateChangeReason.NeighborDown),
            "peer-admin" => (BfdState.Down, BfdStateChangeReason.NeighborAdminDown),
            "admin" => (BfdState.AdminDown, BfdStateChangeReason.AdminDown),
            "admin-up" => (BfdState.Down, BfdStateChangeReason.AdminUp),
            _ => throw new ArgumentException($"unknown change {token}", nameof(token)),
        };
        return from == to ? null : new BfdStateChange(from, to, BfdDiagnostic.None, reason, 0);
    }
}
