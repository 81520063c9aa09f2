using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class ProbeWindowTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(100);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Measure_AllAnswered_MeanLatencyJitterZeroLoss()
    {
        var w = new ProbeWindow(TimeSpan.FromSeconds(30), 30);
        double[] rtts = [10, 14, 12, 20];
        for (var i = 0; i < rtts.Length; i++)
        {
            w.Sent((uint)i + 1, At(i));
            Assert.True(w.Answered((uint)i + 1, TimeSpan.FromMilliseconds(rtts[i])));
        }

        var m = w.Measure()!.Value;
        Assert.Equal(14, m.LatencyMs, 9);
        Assert.Equal((4 + 2 + 8) / 3.0, m.JitterMs, 9); // mean |RTT(i) - RTT(i-1)|
        Assert.Equal(0, m.LossPct);
        Assert.Equal(4, m.Answered);
    }

    [Fact]
    public void Measure_NothingCompleted_Null()
    {
        var w = new ProbeWindow(TimeSpan.FromSeconds(30), 30);
        Assert.Null(w.Measure());
        w.Sent(1, At(0));
        Assert.Null(w.Measure()); // pending is neither answered nor lost
        Assert.Equal(1, w.PendingCount);
    }

    [Fact]
    public void Expire_LostByTimeout_LateReplyDoesNotCountTwice()
    {
        var w = new ProbeWindow(TimeSpan.FromSeconds(30), 30);
        w.Sent(1, At(0));
        w.Sent(2, At(1));
        Assert.True(w.Answered(2, TimeSpan.FromMilliseconds(5)));

        Assert.Equal(0, w.Expire(At(0.05), s_timeout)); // not yet
        Assert.Equal(1, w.Expire(At(1.5), s_timeout));  // probe 1 is lost now
        Assert.Equal(0, w.Expire(At(2), s_timeout));    // and only once

        Assert.False(w.Answered(1, TimeSpan.FromMilliseconds(1500))); // late
        Assert.Equal(1, w.LateReplies);
        Assert.False(w.Answered(2, TimeSpan.FromMilliseconds(5)));    // duplicate
        Assert.False(w.Answered(99, TimeSpan.FromMilliseconds(5)));   // never sent
        Assert.Equal(2, w.UnknownReplies);

        var m = w.Measure()!.Value;
        Assert.Equal(50, m.LossPct);
        Assert.Equal(5, m.LatencyMs);
    }

    [Fact]
    public void Measure_AllLost_HundredPercentKeepsLastLatency()
    {
        var w = new ProbeWindow(TimeSpan.FromSeconds(3), 30);
        w.Sent(1, At(0));
        w.Answered(1, TimeSpan.FromMilliseconds(42));
        w.Sent(2, At(1));
        w.Answered(2, TimeSpan.FromMilliseconds(44));
        Assert.Equal(43, w.Measure()!.Value.LatencyMs);

        for (uint s = 3; s < 10; s++)
        {
            w.Sent(s, At(s));
            w.Expire(At(s + 0.5), s_timeout);
            w.Trim(At(s + 0.5));
        }

        var m = w.Measure()!.Value;
        Assert.Equal(100, m.LossPct);
        Assert.Equal(43, m.LatencyMs); // last measured, never 0 or infinity
        Assert.Equal(2, m.JitterMs);
        Assert.True(double.IsFinite(m.LatencyMs));
        Assert.Equal(7, w.ConsecutiveLost);
        Assert.Equal(0, w.ConsecutiveAnswered);
    }

    [Fact]
    public void Trim_ByTimeAndByCount()
    {
        var byTime = new ProbeWindow(TimeSpan.FromSeconds(10), 100);
        for (uint s = 0; s < 20; s++)
        {
            byTime.Sent(s, At(s));
            byTime.Answered(s, TimeSpan.FromMilliseconds(1));
        }

        byTime.Trim(At(20));
        Assert.Equal(10, byTime.Measure()!.Value.Answered); // sent at 10..19

        var byCount = new ProbeWindow(TimeSpan.FromHours(1), 5);
        for (uint s = 0; s < 20; s++)
        {
            byCount.Sent(s, At(s));
            if (s < 15)
            {
                byCount.Answered(s, TimeSpan.FromMilliseconds(1));
            }
            else
            {
                byCount.Expire(At(s + 1), s_timeout);
            }
        }

        var m = byCount.Measure()!.Value;
        Assert.Equal(5, m.Answered + m.Lost);
        Assert.Equal(100, m.LossPct); // the 5 newest are the 5 lost ones
    }

    [Fact]
    public void Consecutive_CountsResetOnOpposite()
    {
        var w = new ProbeWindow(TimeSpan.FromSeconds(30), 30);
        w.Sent(1, At(0));
        w.Sent(2, At(0.1));
        w.Expire(At(0.5), s_timeout);
        Assert.Equal(2, w.ConsecutiveLost);
        w.Sent(3, At(1));
        w.Answered(3, TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, w.ConsecutiveLost);
        Assert.Equal(1, w.ConsecutiveAnswered);
        Assert.Equal(TimeSpan.FromMilliseconds(1), w.LastRtt);
    }
}
