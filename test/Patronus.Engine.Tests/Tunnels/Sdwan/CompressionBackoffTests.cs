using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class CompressionBackoffTests
{
    private const long Frequency = 1000; // timestamps in milliseconds

    // Each row: outcomes as a string ('+' shrank, '-' did not, '.' a packet not tried), one packet
    // per millisecond from t=0, then the expected level, misses, and whether a packet at `at` is tried.
    [Theory]
    [InlineData("", 0, 0, 0L, true)]
    [InlineData("+++", 0, 0, 3L, true)]
    [InlineData("---------------", 0, 15, 15L, true)] // 15 misses: still trying
    [InlineData("----------------", 1, 0, 16L, false)] // the 16th backs off for 1 s
    [InlineData("----------------", 1, 0, 1014L, false)] // … until t = 15 + 1000
    [InlineData("----------------", 1, 0, 1015L, true)]
    [InlineData("-------+--------", 0, 8, 16L, true)] // a hit in the run resets the count
    [InlineData("+---------------+", 0, 0, 17L, true)]
    public void After_Outcomes_GiveLevelAndTry(string outcomes, int level, int misses, long at, bool tries)
    {
        var state = Run(default, outcomes, start: 0);

        Assert.Equal(level, state.Level);
        Assert.Equal(misses, state.Misses);
        Assert.Equal(tries, state.ShouldTry(at));
    }

    [Fact]
    public void After_ProbesThatMiss_DoubleTheBackoffUpToTheMaximum()
    {
        var state = Run(default, new string('-', 16), start: 0);
        var expected = new List<long>();
        var actual = new List<long>();
        var now = 15L;
        for (var level = 1; level <= CompressionBackoff.MaxLevel + 1; level++)
        {
            actual.Add(state.RetryAt - now);
            expected.Add(Math.Min(1L << (level - 1), 64) * 1000);
            now = state.RetryAt;
            Assert.True(state.ShouldTry(now));
            state = Run(state, new string('-', CompressionBackoff.ProbeMisses), start: now);
            now += CompressionBackoff.ProbeMisses - 1;
        }

        Assert.Equal(expected, actual);
        Assert.Equal(CompressionBackoff.MaxLevel, state.Level);
        Assert.Equal(TimeSpan.FromSeconds(64), CompressionBackoff.MaxBackoff);
    }

    [Fact]
    public void After_ProbeThatShrinks_ReturnsToTrying()
    {
        var state = Run(default, new string('-', 16), start: 0);
        state = Run(state, "--+", start: state.RetryAt);

        Assert.Equal(default, state);
        Assert.True(state.ShouldTry(state.RetryAt));
    }

    [Fact]
    public void After_ProbeWithFewerMissesThanTheLimit_KeepsProbing()
    {
        var state = Run(default, new string('-', 16), start: 0);
        var retry = state.RetryAt;
        state = Run(state, "---", start: retry);

        Assert.Equal(1, state.Level);
        Assert.Equal(3, state.Misses);
        Assert.True(state.ShouldTry(retry + 3));
    }

    private static CompressionBackoff Run(CompressionBackoff state, string outcomes, long start)
    {
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i] != '.')
            {
                state = state.After(outcomes[i] == '+', start + i, Frequency);
            }
        }

        return state;
    }
}
