using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

/// <summary>
/// A peer's per-class state (issue 16): <c>on-sla-breach</c> duplication driven on a fake clock
/// (on at a breach, off after <c>DuplicationHoldSecs</c> clean, a breach in the hold restarts
/// it), the hold's end returned for the loop's timer, and counters per class and path.
/// </summary>
public sealed class PeerClassStateTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    // seconds:verdict (b = breach, c = clean) → expected duplication after each step
    [InlineData("0:c", "off")]
    [InlineData("0:b", "on")]
    [InlineData("0:b 5:c 34:c", "on on on")] // 29 s clean of 30
    [InlineData("0:b 5:c 35:c", "on on off")] // 30 s clean: off
    [InlineData("0:b 5:c 20:b 25:c 54:c 55:c", "on on on on on off")] // the breach at 20 s restarts the hold
    [InlineData("0:b 5:c 35:c 36:b", "on on off on")] // a new breach after it stopped: on again at once
    public void EvaluateDuplication_OnSlaBreach_HysteresisOnTheFakeClock(string steps, string expected)
    {
        var state = new PeerClassState(Classes().Classes, paths: 2);
        var start = _time.GetTimestamp();
        var results = new List<string>();
        foreach (var step in steps.Split(' '))
        {
            var seconds = int.Parse(step[..step.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            _time.Advance(TimeSpan.FromSeconds(seconds) - _time.GetElapsedTime(start));
            state.EvaluateDuplication(_ => step.EndsWith('b'), _time.GetTimestamp(), _time.TimestampFrequency);
            results.Add(state.Duplicating(0) ? "on" : "off");
        }

        Assert.Equal(expected, string.Join(' ', results));
        Assert.False(state.Duplicating(1)); // "always" is not the loop's business: the send path reads the mode
    }

    [Fact]
    public void EvaluateDuplication_HoldRunning_ReturnsItsEndAndReportsChanges()
    {
        var state = new PeerClassState(Classes().Classes, paths: 2);
        var changes = new List<(TrafficClass Class, bool Active)>();

        Assert.Null(state.EvaluateDuplication(_ => true, _time.GetTimestamp(), _time.TimestampFrequency, changes));
        Assert.Equal([("voice", true)], changes.Select(c => (c.Class.Name, c.Active)));
        _time.Advance(TimeSpan.FromSeconds(2));
        var due = state.EvaluateDuplication(_ => false, _time.GetTimestamp(), _time.TimestampFrequency, changes);

        Assert.Equal(_time.GetTimestamp() + (30 * _time.TimestampFrequency), due);
        Assert.Single(changes); // still on: no change
    }

    [Fact]
    public void CountSentAndReceived_PerClassAndPath_LastPrimaryPathIsTheActivePath()
    {
        var state = new PeerClassState(Classes().Classes, paths: 2);

        state.CountSent(0, 1, 100, primary: true);
        state.CountSent(0, 2, 100, primary: false); // a duplicate's second copy
        state.CountReceived(0, 2, 60);
        state.CountSent(2, 0, 40, primary: true); // the default class on the plain endpoint

        Assert.Equal((100L, 1L, 0L, 0L), state.Traffic(0, 1));
        Assert.Equal((100L, 1L, 60L, 1L), state.Traffic(0, 2));
        Assert.Equal((byte)1, state.LastPath(0));
        Assert.Null(state.LastPath(1));
        Assert.Equal((40L, 1L, 0L, 0L), state.Traffic(2, 0));
    }

    [Fact]
    public void CountFlow_RecentSet_EachFlowOnceUntilPushedOut()
    {
        var state = new PeerClassState(Classes().Classes, paths: 2);
        for (var round = 0; round < 5; round++)
        {
            for (var flow = 1; flow <= 100; flow++)
            {
                state.CountFlow(0, flow * 7919); // spread over the sets
            }
        }

        state.CountFlow(0, 0); // not a readable packet: no flow
        Assert.Equal(100, state.Flows(0));
        Assert.Equal(0, state.Flows(1));

        // Five flows in one set of four ways: the oldest is pushed out and counts again when it returns.
        var crowded = Enumerable.Range(1, 5).Select(i => i * 64 * 1000).ToArray();
        foreach (var flow in crowded)
        {
            state.CountFlow(1, flow);
        }

        state.CountFlow(1, crowded[0]);
        Assert.Equal(6, state.Flows(1));
    }

    [Theory]
    [InlineData(new[] { "p1", "p2" }, new[] { "p1", "p2" }, "", "p1")]
    [InlineData(new[] { "p1", "p2" }, new[] { "p1", "p2" }, "p1", "p2")]
    [InlineData(new[] { "p1", "p2" }, new[] { "p1", "p2" }, "p1 p2", null)]
    [InlineData(new[] { "p3", "p2" }, new[] { "p1", "p2" }, "", "p2")] // p3 is not the peer's
    public void ClassPathChoice_Preferred_FirstOfThePeersPathsMeetingTheSla(string[] preferred, string[] peerPaths, string breaching, string? expected)
    {
        var bad = breaching.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(expected, ClassPathChoice.Preferred(preferred, peerPaths.Contains, id => !bad.Contains(id)));
    }

    private static TrafficClassifier Classes() => TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice", Match = [new() { Protocol = "udp" }], Sla = new() { MaxLossPercent = 1 }, Duplication = "on-sla-breach", DuplicationHoldSecs = 30,
        },
        new TrafficClassOptions { Name = "video", Match = [new() { Protocol = "tcp" }], Duplication = "always" },
    ]);
}
