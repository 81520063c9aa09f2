using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class PathReceiveEstimatorTests
{
    private readonly FakeTimeProvider _time = new();

    // A stream of 100 packets, 10 ms apart, sent with the sender's clock; `drop` removes
    // sequences, `late` delivers a sequence after the one named (reordering), `twice` doubles one.
    [Theory]
    [InlineData("", "", "", 100, 100, 0.0, 0.0, 0)]
    [InlineData("10 20 30", "", "", 97, 100, 3.0, 0.0, 0)]
    [InlineData("", "5>8 40>41", "", 100, 100, 0.0, 2.0, 0)] // late, then repaid: no loss
    [InlineData("", "", "7 7 9", 100, 100, 0.0, 0.0, 3)]
    [InlineData("99", "", "", 99, 99, 0.0, 0.0, 0)] // the last lost: not known yet
    public void Measure_Stream_GivesLossReorderAndDuplicates(
        string drop, string late, string twice, long received, long expected, double loss, double reordered, long duplicates)
    {
        var estimator = new PathReceiveEstimator(_time);
        var order = Order(100, drop, late, twice);
        foreach (var sequence in order)
        {
            estimator.OnPacket(sequence, SenderClock(sequence), _time.GetTimestamp());
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var m = estimator.Measure(_time.GetTimestamp());

        Assert.Equal((received, expected, duplicates), (m.Received, m.Expected, m.Duplicates));
        Assert.Equal(loss, m.LossPercent!.Value, 6);
        Assert.Equal(reordered, m.ReorderedPercent!.Value, 6);
    }

    [Fact]
    public void Measure_NoPackets_IsUnknownNotZero()
    {
        var m = new PathReceiveEstimator(_time).Measure(_time.GetTimestamp());

        Assert.Equal(default, (m.LossPercent, m.ReorderedPercent, m.JitterMs));
    }

    [Fact]
    public void Measure_LossOutsideTheWindow_IsForgotten()
    {
        var estimator = new PathReceiveEstimator(_time, TimeSpan.FromSeconds(10), buckets: 10);
        uint sequence = 0;
        for (var i = 0; i < 500; i++)
        {
            // 5 s losing every other packet …
            Feed(estimator, sequence, 10);
            sequence += 2;
        }

        Assert.InRange(estimator.Measure(_time.GetTimestamp()).LossPercent!.Value, 49, 51);
        for (var i = 0; i < 1100; i++)
        {
            // … then 11 s losing none: the window (10 s) holds only those.
            Feed(estimator, sequence++, 10);
        }

        Assert.Equal(0, estimator.Measure(_time.GetTimestamp()).LossPercent);
    }

    [Fact]
    public void OnPacket_SequenceWrap_CountsAcrossIt()
    {
        var estimator = new PathReceiveEstimator(_time);
        var sequence = uint.MaxValue - 49;
        for (var i = 0; i < 100; i++, sequence++)
        {
            if (i != 60)
            {
                Feed(estimator, sequence, 10);
            }
        }

        var m = estimator.Measure(_time.GetTimestamp());

        Assert.Equal((99L, 100L), (m.Received, m.Expected));
        Assert.Equal(1.0, m.LossPercent!.Value, 6);
        Assert.Equal(0, estimator.Restarts);
    }

    [Fact]
    public void OnPacket_GapWithinTheWindow_CountsTheLoss()
    {
        var estimator = new PathReceiveEstimator(_time);
        for (uint s = 1; s <= 100; s++)
        {
            Feed(estimator, s, 10);
        }

        // A 2 s cut while the sender went on: 200 numbers missing, seen when traffic returns.
        _time.Advance(TimeSpan.FromSeconds(2));
        for (uint s = 301; s <= 400; s++)
        {
            Feed(estimator, s, 10);
        }

        var m = estimator.Measure(_time.GetTimestamp());

        Assert.Equal((200L, 400L), (m.Received, m.Expected));
        Assert.Equal(50.0, m.LossPercent!.Value, 6);
    }

    [Fact]
    public void OnPacket_SilenceLongerThanTheWindow_RestartsWithoutLoss()
    {
        var estimator = new PathReceiveEstimator(_time);
        for (uint s = 1; s <= 100; s++)
        {
            Feed(estimator, s, 10);
        }

        // The path carried nothing for a minute, then traffic returns with a sequence far ahead
        // (the loss, if any, is long out of the window).
        _time.Advance(TimeSpan.FromMinutes(1));
        for (uint s = 5001; s <= 5100; s++)
        {
            Feed(estimator, s, 10);
        }

        var m = estimator.Measure(_time.GetTimestamp());

        Assert.Equal(0, m.LossPercent);
        Assert.Equal(1, estimator.Restarts);
    }

    [Fact]
    public void OnPacket_HugeJumpOrSenderRestart_RestartsTheCount()
    {
        var estimator = new PathReceiveEstimator(_time);
        for (uint s = 1_000_000; s < 1_000_100; s++)
        {
            Feed(estimator, s, 10);
        }

        // The sender restarted at 1: the first packet is a stray, the second confirms.
        for (uint s = 1; s <= 100; s++)
        {
            Feed(estimator, s, 10);
        }

        Assert.Equal(1, estimator.Restarts);
        var m = estimator.Measure(_time.GetTimestamp());
        Assert.Equal((199L, 199L), (m.Received, m.Expected)); // only the stray went uncounted
        Assert.Equal(0, m.LossPercent);

        Feed(estimator, 100 + PathReceiveEstimator.MaxDropout + 1, 10);
        Assert.Equal(2, estimator.Restarts);
    }

    [Theory]
    [InlineData(0, 0.0)] // steady transit: no jitter
    [InlineData(4, 4.0)] // alternating ±2 ms: |D| = 4 ms every packet, J → 4 ms
    public void Measure_TransitVariation_GivesRfc3550Jitter(int swingMs, double expectedMs)
    {
        var estimator = new PathReceiveEstimator(_time);
        for (uint s = 0; s < 400; s++)
        {
            var delay = TimeSpan.FromMilliseconds(20 + (s % 2 == 0 ? 0 : swingMs));
            var sent = _time.GetTimestamp();
            _time.Advance(delay);
            estimator.OnPacket(s, MicrosecondClock.From(sent, _time.TimestampFrequency) + 123_456_789u, _time.GetTimestamp());
            _time.Advance(TimeSpan.FromMilliseconds(50) - delay);
        }

        Assert.Equal(expectedMs, estimator.Measure(_time.GetTimestamp()).JitterMs!.Value, 3);
    }

    [Fact]
    public void Measure_OneStepInTransit_DecaysLikeRfc3550()
    {
        var estimator = new PathReceiveEstimator(_time);
        estimator.OnPacket(0, 0, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(26)); // sent 10 ms later, arrived 16 ms later: D = 16 ms
        estimator.OnPacket(1, 10_000, _time.GetTimestamp());

        Assert.Equal(1.0, estimator.Measure(_time.GetTimestamp()).JitterMs!.Value, 6); // 16 / 16
    }

    [Fact]
    public void MeasureRecent_BusyPathStartsLosing_NewestBucketsShowIt_WindowStillDilutesIt()
    {
        var estimator = new PathReceiveEstimator(_time, TimeSpan.FromSeconds(10), buckets: 10);
        AlignToSecond();
        uint sequence = 0;
        for (var i = 0; i < 900; i++)
        {
            Feed(estimator, sequence++, 10); // 9 s clean at 100/s …
        }

        for (var i = 0; i < 100; i++)
        {
            // … then 1 s losing every fifth (the last one arrives, so all 20 losses are known).
            if (i % 5 == 0)
            {
                sequence++;
                _time.Advance(TimeSpan.FromMilliseconds(10));
                continue;
            }

            Feed(estimator, sequence++, 10);
        }

        var now = _time.GetTimestamp() - 1; // the last instant of the tenth second
        var (expected, received) = estimator.MeasureRecent(now, minExpected: 50);
        Assert.Equal(100, expected); // the tenth second alone holds enough
        Assert.Equal(20.0, (expected - received) * 100.0 / expected, 6);
        Assert.InRange(estimator.Measure(now).LossPercent!.Value, 1.9, 2.1); // 20 of 1000 over 10 s
        Assert.Equal(1000, estimator.MeasureRecent(now, minExpected: 10_000).Expected); // never enough: the whole window
    }

    [Fact]
    public void MeasureRecent_Empty_Nothing()
    {
        Assert.Equal((0L, 0L), new PathReceiveEstimator(_time).MeasureRecent(_time.GetTimestamp(), 200));
    }

    private void AlignToSecond()
    {
        var into = _time.GetTimestamp() % _time.TimestampFrequency;
        if (into != 0)
        {
            _time.Advance(TimeSpan.FromTicks((_time.TimestampFrequency - into) * TimeSpan.TicksPerSecond / _time.TimestampFrequency));
        }
    }

    private void Feed(PathReceiveEstimator estimator, uint sequence, int gapMs)
    {
        estimator.OnPacket(sequence, SenderClock(sequence), _time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(gapMs));
    }

    private static uint SenderClock(uint sequence) => 1_000_000 + (sequence * 10_000);

    private static List<uint> Order(int count, string drop, string late, string twice)
    {
        static IEnumerable<uint> Numbers(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse);
        var dropped = Numbers(drop).ToHashSet();
        var moves = late.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(m => m.Split('>')).ToDictionary(m => uint.Parse(m[0]), m => uint.Parse(m[1]));
        var order = new List<uint>();
        for (uint s = 0; s < count; s++)
        {
            if (!dropped.Contains(s) && !moves.ContainsKey(s))
            {
                order.Add(s);
            }

            order.AddRange(moves.Where(m => m.Value == s).Select(m => m.Key));
        }

        foreach (var s in Numbers(twice))
        {
            order.Insert(order.IndexOf(s) + 1, s);
        }

        return order;
    }
}
