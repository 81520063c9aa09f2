using System.Globalization;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Tests.Bfd;
using static Patronus.Engine.Tests.Failover.FailoverDecisionTimeline;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// The whole decision chain from p1's BFD session to failover, as a table: each step is a BFD state
/// change of p1 (<see cref="BfdEvidenceTests"/> names them) and/or a new probe score for p1
/// (<c>p1=10</c>; 100 until then), through <see cref="BfdEvidence"/>, the liveness cap of path
/// health (<see cref="PathLivenessRule"/>) and <see cref="FailoverDecision"/>. Default policy
/// (<see cref="FailoverDecisionTests"/>): backup b1 scores 100 without BFD; failback delay 60 s.
/// </summary>
public sealed partial class FailoverDecisionTests
{
    [Theory]
    // The peer's maintenance (FRR `shutdown`, then `no shutdown`): no switch away, none back.
    [InlineData("0 up | 5 peer-admin | 10 init | 11 up | 100", "")]
    // Ours too: AdminDown, released, back Up.
    [InlineData("0 up | 5 admin | 10 admin-up | 12 init | 13 up | 100", "")]
    // A real failure moves traffic at once; Init on the way back caps p1 at 50, so the failback
    // delay runs from Up.
    [InlineData("0 up | 5 expired | 10 init | 11 up | 70.999 | 71", "5 Failover p1>b1 | 71 Failback b1>p1")]
    [InlineData("0 up | 5 neighbor-down", "5 Failover p1>b1")]
    // While the peer is AdminDown the probes are in charge: they fail the path, they bring it back.
    [InlineData("0 up | 5 peer-admin | 6 p1=10 | 10 p1=100 | 70", "6 Failover p1>b1 | 70 Failback b1>p1")]
    // Flapping around a maintenance: the maintenance moves nothing, each failure does.
    [InlineData("0 up | 5 peer-admin | 10 init | 11 up | 15 expired | 20 init | 21 up | 30 peer-admin | 35 init | 36 up | 81",
        "15 Failover p1>b1 | 81 Failback b1>p1")]
    public void Decide_BfdPeerAdminDown_IsNoForwardingFailure(string timeline, string events)
    {
        var policy = Policy();
        var state = FailoverPolicyState.Initial(policy);
        var bfd = (State: BfdState.Down, Counts: false);
        var probeScore = 100.0;
        var seen = new List<string>();
        foreach (var step in timeline.Split('|', StringSplitOptions.TrimEntries))
        {
            var tokens = step.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var now = At(double.Parse(tokens[0], CultureInfo.InvariantCulture));
            foreach (var token in tokens.Skip(1))
            {
                if (token.StartsWith("p1=", StringComparison.Ordinal))
                {
                    probeScore = double.Parse(token[3..], CultureInfo.InvariantCulture);
                }
                else
                {
                    bfd = BfdEvidenceTests.Step(bfd, token);
                }
            }

            var liveness = BfdEvidence.Score(bfd.State, bfd.Counts) is { } cap ? new PathLiveness(cap, $"BFD {bfd.State}") : (PathLiveness?)null;
            var p1 = PathLivenessRule.Apply(
                new PathHealthSnapshot("p1", 10, 0, 1, probeScore, HealthScoring.StatusOf(probeScore), now.Wall, 1, 1, 1, "probes"), liveness);
            var inputs = new Dictionary<string, FailoverPathInput>
            {
                ["p1"] = new("p1", p1.HealthScore, p1.Liveness?.Down, true),
                ["b1"] = new("b1", 100, null, true),
            };
            var outcome = FailoverDecision.Decide(policy, state, inputs, now, FailoverDampening.Default);
            state = outcome.State;
            if (outcome.Event is { } e)
            {
                seen.Add($"{now.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)} {Format(e)}");
            }
        }

        Assert.Equal(events, string.Join(" | ", seen));
    }
}
