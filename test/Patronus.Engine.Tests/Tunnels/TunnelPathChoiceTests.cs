using Patronus.Engine.Health;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelPathChoiceTests
{
    /// <summary>
    /// Rows: the peer's paths as "id:cost:status" (U, D = Degraded, X = Down, ? = not monitored),
    /// the policy's active path for the destination (or "-"), the current path (or "-"), and the choice.
    /// </summary>
    [Theory]
    // a policy's active path wins, whatever its health or cost
    [InlineData("p1:10:U p2:20:U", "p2", "-", "p2")]
    [InlineData("p1:10:U p2:20:X", "p2", "p1", "p2")]
    // a policy whose active path is not the peer's: the peer's own best
    [InlineData("p1:10:U p2:20:U", "other", "-", "p1")]
    // no policy: best class first, then the lowest cost
    [InlineData("p1:10:U p2:20:U", "-", "-", "p1")]
    [InlineData("p1:10:X p2:20:U", "-", "p1", "p2")]
    [InlineData("p1:10:D p2:20:U", "-", "p1", "p2")]
    [InlineData("p1:10:X p2:20:D", "-", "-", "p2")]
    [InlineData("p1:10:? p2:20:D", "-", "-", "p2")]
    [InlineData("p1:30:U p2:20:U", "-", "p1", "p2")]
    // ties keep the current path, else configuration order
    [InlineData("p1:10:U p2:10:U", "-", "p2", "p2")]
    [InlineData("p1:10:U p2:10:U", "-", "-", "p1")]
    [InlineData("p1:10:U p2:10:U", "-", "gone", "p1")]
    // every path Down: still one (the cheapest), not none
    [InlineData("p1:20:X p2:10:X", "-", "-", "p2")]
    [InlineData("p1:10:X p2:10:X", "-", "p2", "p2")]
    public void Choose_Table(string paths, string policy, string current, string expected)
    {
        Assert.Equal(expected, TunnelPathChoice.Choose(Parse(paths), Dash(policy), Dash(current)));
    }

    [Fact]
    public void Choose_NoPaths_Null()
    {
        Assert.Null(TunnelPathChoice.Choose([], "p1", "p1"));
    }

    /// <summary>
    /// Flap rows on equal paths: p1 fails (traffic to p2), p1 comes back (it stays on p2: equal
    /// cost, the current one is kept), p2 fails (back to p1). A cheaper path that comes back takes
    /// the traffic at once: a failback delay is a failover policy's job.
    /// </summary>
    [Theory]
    [InlineData(10, "U,U:p1 X,U:p2 U,U:p2 U,X:p1 U,U:p1")]
    [InlineData(5, "U,U:p1 X,U:p2 U,U:p1 X,U:p2 U,U:p1")]
    public void Choose_Flapping_FollowsHealthWithoutTradingEqualPaths(int p1Cost, string steps)
    {
        string? current = null;
        foreach (var step in steps.Split(' '))
        {
            var (health, expected) = (step.Split(':')[0].Split(','), step.Split(':')[1]);
            current = TunnelPathChoice.Choose(
                [new("p1", p1Cost, Status(health[0])), new("p2", 10, Status(health[1]))], null, current);
            Assert.Equal(expected, current);
        }
    }

    private static string? Dash(string text) => text == "-" ? null : text;

    private static TunnelPathCandidate[] Parse(string paths) => paths.Split(' ')
        .Select(p => p.Split(':'))
        .Select(f => new TunnelPathCandidate(f[0], int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), Status(f[2])))
        .ToArray();

    private static PathStatus? Status(string code) => code switch
    {
        "U" => PathStatus.Up,
        "D" => PathStatus.Degraded,
        "X" => PathStatus.Down,
        _ => null,
    };
}
