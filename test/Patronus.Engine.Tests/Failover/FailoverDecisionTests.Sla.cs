using Patronus.Engine.Failover;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// Class policies (issue 16): a policy naming a traffic class judges its paths by the class's
/// SLA instead of the score thresholds; hold-down and failback as any policy. Policy: primary p1,
/// backup p2, failback delay 60 s; SLA latency 150 ms, loss 1 %, jitter 30 ms.
/// </summary>
public sealed partial class FailoverDecisionTests
{
    private static readonly TrafficSla s_voiceSla = new(150, 1, 30);
    private static readonly FailoverDampening s_noDampening = new(100, TimeSpan.FromMinutes(5), TimeSpan.Zero);

    [Theory]
    // Loss above the SLA's 1 % moves the class, although both score 100 (a class-less policy stays).
    [InlineData("p1 loss=2", "p2", "path p1 loss 2 % > 1 % of class voice's SLA")]
    [InlineData("p1 loss=1", "p1", null)] // at the threshold: met (exceeded strictly)
    [InlineData("p1 latency=151", "p2", "path p1 latency 151 ms > 150 ms of class voice's SLA")]
    [InlineData("p1 jitter=31", "p2", "path p1 jitter 31 ms > 30 ms of class voice's SLA")]
    [InlineData("p1 bfd", "p2", "path p1 BFD down")]
    [InlineData("p1 loss=100", "p2", "path p1 does not answer")] // no latency to breach: still unfit
    [InlineData("p1 unmeasured", "p1", null)] // never act on no data
    [InlineData("p1 loss=2;p2 loss=3", "p1", null)] // nowhere better: stays (FailoverFailed)
    [InlineData("p1 loss=2;p2 unmeasured", "p1", null)]
    [InlineData("p1 score=10", "p1", null)] // a low score alone is not the class's business
    public void Decide_ClassPolicy_JudgesBySla(string paths, string active, string? reason)
    {
        var outcome = FailoverDecision.Decide(VoicePolicy(), FailoverPolicyState.Initial(VoicePolicy()), Inputs(paths), SlaAt(0), s_noDampening, s_voiceSla);

        Assert.Equal(active, outcome.State.ActivePathId);
        if (reason is not null)
        {
            Assert.Equal(FailoverEventType.FailoverTriggered, outcome.Event?.Type);
            Assert.StartsWith(reason, outcome.Event!.Reason, StringComparison.Ordinal);
        }
        else if (outcome.Event is { } e)
        {
            Assert.Equal(FailoverEventType.FailoverFailed, e.Type);
        }
    }

    [Fact]
    public void Decide_SameInputsWithoutClass_ScoreThresholdsDecideAndTheLossIsNoReason()
    {
        var classless = VoicePolicy() with { Class = null };

        var outcome = FailoverDecision.Decide(classless, FailoverPolicyState.Initial(classless), Inputs("p1 loss=2"), SlaAt(0), s_noDampening);

        Assert.Equal("p1", outcome.State.ActivePathId);
        Assert.Null(outcome.Event);
    }

    [Fact]
    public void Decide_ClassPolicyOnBackup_FailsBackOnlyAfterPrimaryMetSlaForWholeDelay()
    {
        var policy = VoicePolicy();
        var state = FailoverDecision.Decide(policy, FailoverPolicyState.Initial(policy), Inputs("p1 loss=2"), SlaAt(0), s_noDampening, s_voiceSla).State;
        Assert.Equal("p2", state.ActivePathId);

        // Clean from 10 s, a dip at 40 s restarts the delay, clean again from 50 s: back at 110 s.
        (int At, string Paths, string Active)[] timeline =
        [
            (10, "", "p2"), (40, "p1 loss=1.5", "p2"), (50, "", "p2"), (100, "", "p2"), (109, "", "p2"), (110, "", "p1"),
        ];
        foreach (var (at, paths, active) in timeline)
        {
            var outcome = FailoverDecision.Decide(policy, state, Inputs(paths), SlaAt(at), s_noDampening, s_voiceSla);
            state = outcome.State;
            Assert.True(active == state.ActivePathId, $"at {at} s: on {state.ActivePathId}, expected {active}");
            if (active == "p1")
            {
                Assert.Equal(FailoverEventType.FailbackCompleted, outcome.Event?.Type);
                Assert.Equal("primary p1 met class voice's SLA for 60 s", outcome.Event!.Reason);
            }
        }
    }

    private static FailoverPolicy VoicePolicy() =>
        new(1, "voice-to-b", "p1", ["p2"], 50, 80, TimeSpan.FromSeconds(60), true, [], ItemSource.Config, "voice");

    private static LoopTime SlaAt(int seconds) => new(TimeSpan.FromSeconds(seconds), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + seconds));

    // "p1 loss=2;p2 unmeasured": each path healthy (10 ms, 0 %, 1 ms, score 100) but what is named.
    private static Dictionary<string, FailoverPathInput> Inputs(string paths)
    {
        var inputs = new Dictionary<string, FailoverPathInput>
        {
            ["p1"] = new("p1", 100, null, true) { LatencyMs = 10, JitterMs = 1 },
            ["p2"] = new("p2", 100, null, true) { LatencyMs = 10, JitterMs = 1 },
        };
        foreach (var part in paths.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = part.Split(' ');
            var input = inputs[words[0]];
            foreach (var word in words.Skip(1))
            {
                var (key, value) = word.Contains('=', StringComparison.Ordinal) ? (word[..word.IndexOf('=', StringComparison.Ordinal)], double.Parse(word[(word.IndexOf('=', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture)) : (word, 0.0);
                input = key switch
                {
                    "loss" => input with { LossPercent = value },
                    "latency" => input with { LatencyMs = value },
                    "jitter" => input with { JitterMs = value },
                    "score" => input with { Score = value },
                    "bfd" => input with { BfdDown = true },
                    "unmeasured" => input with { Measured = false },
                    _ => throw new ArgumentException(word),
                };
            }

            inputs[words[0]] = input;
        }

        return inputs;
    }
}
