using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

public sealed class BfdSessionViewTests
{
    private static BfdSessionView View(BfdState state, bool counts, BfdState remote = BfdState.Down) => new("p", new BfdPathSettings("10.0.0.1"), "10.0.0.2", 50000,
        new BfdSessionSnapshot(state, remote, 1, 0, BfdDiagnostic.None, BfdDiagnostic.None, 1_000_000, 300_000, 1, 0, 3, 0, 1_000_000, 0, false, BfdAuthType.None),
        null, false, null, null, new BfdSessionCounters(), counts, null);

    [Theory]
    [InlineData(BfdState.Down, false, null, false)]  // still starting: no opinion
    [InlineData(BfdState.Init, false, null, false)]
    [InlineData(BfdState.Up, true, 100.0, false)]
    [InlineData(BfdState.Init, true, 50.0, false)]
    [InlineData(BfdState.Down, true, 0.0, true)]    // was Up, now Down: the path is down
    [InlineData(BfdState.AdminDown, true, null, false)]
    public void HealthScoreAndIsDown(BfdState state, bool counts, double? score, bool down)
    {
        var view = View(state, counts);

        Assert.Equal(score, view.HealthScore);
        Assert.Equal(down, view.IsDown);
    }

    [Theory]
    [InlineData(BfdState.Down, BfdState.AdminDown, true)]
    [InlineData(BfdState.Down, BfdState.Down, false)]
    [InlineData(BfdState.Up, BfdState.Up, false)]
    [InlineData(BfdState.AdminDown, BfdState.AdminDown, false)] // both sides down on purpose: ours says AdminDown
    public void PeerAdminDown_DownWhileThePeerIsAdminDown(BfdState state, BfdState remote, bool expected) =>
        Assert.Equal(expected, View(state, counts: false, remote).PeerAdminDown);
}
