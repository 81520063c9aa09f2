using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class TransitionSummaryTests
{
    private static (PathStatus? From, PathHealthSnapshot To) Change(PathStatus? from, string id, PathStatus to, string reason = "r") =>
        (from, new PathHealthSnapshot(id, 1, 0, 0, 100, to, DateTimeOffset.UnixEpoch, 1, 1, 1, reason));

    public static TheoryData<string, (PathStatus? From, PathHealthSnapshot To)[], string[]> Cases => new()
    {
        {
            "one kind, fewer than the examples: all named, no ellipsis",
            [Change(null, "a", PathStatus.Up, "within"), Change(null, "b", PathStatus.Up)],
            ["(first)→Up ×2 [a, b] within"]
        },
        {
            "more than the examples: the first three in order, then an ellipsis",
            [Change(PathStatus.Up, "a", PathStatus.Down, "loss 50 %"), Change(PathStatus.Up, "b", PathStatus.Down), Change(PathStatus.Up, "c", PathStatus.Down), Change(PathStatus.Up, "d", PathStatus.Down)],
            ["Up→Down ×4 [a, b, c, …] loss 50 %"]
        },
        {
            "kinds in the order first seen; first measurement apart from a change from Down",
            [Change(PathStatus.Up, "a", PathStatus.Degraded, "jitter"), Change(null, "b", PathStatus.Down, "no reply"), Change(PathStatus.Down, "c", PathStatus.Down), Change(PathStatus.Up, "d", PathStatus.Degraded)],
            ["Up→Degraded ×2 [a, d] jitter", "(first)→Down ×1 [b] no reply", "Down→Down ×1 [c] r"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Group_CountsNamesAndFirstReasonPerKind(string because, (PathStatus? From, PathHealthSnapshot To)[] changes, string[] expected)
    {
        var groups = TransitionSummary.Group(changes, examples: 3);

        var actual = groups.Select(g => $"{g.From?.ToString() ?? "(first)"}→{g.To} ×{g.Count} [{g.Examples}] {g.FirstReason}").ToArray();
        Assert.True(expected.SequenceEqual(actual), $"{because}: got {string.Join(" | ", actual)}");
    }
}
