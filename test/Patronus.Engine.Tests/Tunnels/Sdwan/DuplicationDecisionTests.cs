using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class DuplicationDecisionTests
{
    private const long Frequency = 1000; // timestamps in milliseconds
    private static readonly TimeSpan s_hold = TimeSpan.FromSeconds(10);

    // Each row: the mode, then evaluations as "ms:B" (breached) or "ms:c" (clean), and the
    // expected Active after each one.
    [Theory]
    [InlineData(DuplicationMode.Off, "0:B 1000:B 2000:c", "0 0 0")]
    [InlineData(DuplicationMode.Always, "0:c 1000:B 2000:c", "1 1 1")]
    [InlineData(DuplicationMode.OnSlaBreach, "0:c 1000:c", "0 0")] // clean: nothing to do
    [InlineData(DuplicationMode.OnSlaBreach, "0:c 1000:B 2000:B", "0 1 1")] // starts at the first breach
    [InlineData(DuplicationMode.OnSlaBreach, "0:B 1000:c 10999:c 11000:c", "1 1 1 0")] // stops after 10 s clean, not before
    [InlineData(DuplicationMode.OnSlaBreach, "0:B 1000:c 9000:B 10000:c 19999:c 20000:c", "1 1 1 1 1 0")] // flap: a breach in the hold restarts it
    [InlineData(DuplicationMode.OnSlaBreach, "0:B 1000:c 11000:c 12000:B", "1 1 0 1")] // a new breach after the stop starts it again
    public void Next_Evaluations_FollowHysteresis(DuplicationMode mode, string evaluations, string expected)
    {
        var state = default(DuplicationState);
        var actual = new List<string>();
        foreach (var step in evaluations.Split(' '))
        {
            var parts = step.Split(':');
            state = DuplicationDecision.Next(mode, state, parts[1] == "B", s_hold, long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), Frequency);
            actual.Add(state.Active ? "1" : "0");
        }

        Assert.Equal(expected, string.Join(' ', actual));
    }

    [Fact]
    public void Next_ModeTurnedOff_StopsAtOnce()
    {
        var on = DuplicationDecision.Next(DuplicationMode.Always, default, false, s_hold, 0, Frequency);

        Assert.False(DuplicationDecision.Next(DuplicationMode.Off, on, true, s_hold, 1, Frequency).Active);
    }
}
