using System.Globalization;
using System.Text.RegularExpressions;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// <c>ping -D -n -i 0.01</c> inside a namespace for as long as the test runs: the arrival time of
/// every echo reply, as ping itself stamped it (<c>[epoch.micro]</c>, the wall clock, the clock
/// serve stamps its events with). The outage traffic sees is the longest gap between consecutive
/// replies. Asked for every 10 ms, ping sends every ~16 ms here (its timer; on loopback too, and
/// now and then 20–50 ms on a busy 2-core machine): that spacing is the resolution of a gap.
/// </summary>
public sealed partial class PingMonitor : IDisposable
{
    /// <summary>Time between echo requests.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly Lock _lock = new();
    private readonly List<Reply> _replies = [];
    private LabProcess? _ping;

    private PingMonitor()
    {
    }

    /// <summary>Starts pinging <paramref name="target"/> from namespace <paramref name="ns"/>.</summary>
    public static PingMonitor Start(NetLab lab, string ns, string target)
    {
        if (!File.Exists("/usr/bin/ping") && !File.Exists("/bin/ping"))
        {
            Assert.Fail("The failover lab needs ping: apt-get install -y iputils-ping (add it to test.sh's APT_PACKAGES).");
        }

        var monitor = new PingMonitor();
        monitor._ping = lab.Start(ns, $"ping {target}", ["ping", "-D", "-n", "-i", Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture), target], (_, line) => monitor.OnLine(line));
        return monitor;
    }

    /// <summary>Replies received so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _replies.Count;
            }
        }
    }

    /// <summary>The replies stamped within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public IReadOnlyList<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_lock)
        {
            return _replies.Where(r => r.At >= from && r.At <= to).Select(r => r.At).ToList();
        }
    }

    /// <summary>
    /// Replies are flowing: at least 25 arrived in the last second (a quarter of the nominal rate,
    /// less than half of what ping really sends) and the newest is at most 300 ms old. Replies reach
    /// the test through a pipe and the thread pool, which on a busy machine can lag 100 ms and more.
    /// </summary>
    public bool Flowing(DateTimeOffset now)
    {
        var recent = Between(now - TimeSpan.FromSeconds(1), now);
        return recent.Count >= 25 && now - recent[^1] <= TimeSpan.FromMilliseconds(300);
    }

    /// <summary>Waits (bounded) until replies flow; fails with <paramref name="diagnostics"/> otherwise.</summary>
    public async Task WaitFlowingAsync(TimeSpan timeout, string what, Func<string> diagnostics)
    {
        if (await Poll.UntilAsync(() => Flowing(DateTimeOffset.UtcNow), timeout, TimeSpan.FromMilliseconds(50)))
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var recent = Between(now - TimeSpan.FromSeconds(1), now);
        var newest = LastAtOrBefore(now) is { } n ? $"{(now - n).TotalMilliseconds:0} ms old" : "none";
        Assert.Fail($"{what}: ping replies not flowing within {timeout.TotalSeconds} s: {recent.Count} in the last second, newest {newest}, {Count} in all\n{diagnostics()}");
    }

    /// <summary>The last reply stamped at or before <paramref name="at"/>, or null.</summary>
    public DateTimeOffset? LastAtOrBefore(DateTimeOffset at)
    {
        lock (_lock)
        {
            var last = _replies.FindLast(r => r.At <= at);
            return last == default ? null : last.At;
        }
    }

    /// <summary>The longest time between consecutive replies within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public Gap LongestGap(DateTimeOffset from, DateTimeOffset to)
    {
        var replies = Between(from, to);
        Assert.True(replies.Count >= 2, $"fewer than 2 ping replies between {from:HH:mm:ss.fff} and {to:HH:mm:ss.fff}");
        var longest = new Gap(replies[0], replies[1]);
        for (var i = 2; i < replies.Count; i++)
        {
            var gap = new Gap(replies[i - 1], replies[i]);
            longest = gap.Length > longest.Length ? gap : longest;
        }

        return longest;
    }

    /// <summary>
    /// Echo requests without a reply among those answered or lost within [<paramref name="from"/>,
    /// <paramref name="to"/>], by sequence number: the span of the sequence numbers answered there
    /// against the replies received.
    /// </summary>
    public double LossPercent(DateTimeOffset from, DateTimeOffset to)
    {
        List<Reply> replies;
        lock (_lock)
        {
            replies = _replies.Where(r => r.At >= from && r.At <= to).ToList();
        }

        if (replies.Count < 2)
        {
            return 100;
        }

        // icmp_seq is 16 bits and wraps: count the steps between consecutive replies.
        var sent = 1L;
        for (var i = 1; i < replies.Count; i++)
        {
            sent += (replies[i].Seq - replies[i - 1].Seq + 65_536) % 65_536;
        }

        return 100.0 * (sent - replies.Count) / sent;
    }

    private void OnLine(string? line)
    {
        if (line is null || ReplyLine().Match(line) is not { Success: true } match)
        {
            return;
        }

        var seconds = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var micros = long.Parse(match.Groups[2].Value.PadRight(6, '0')[..6], CultureInfo.InvariantCulture);
        var at = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * (TimeSpan.TicksPerMillisecond / 1000));
        var seq = int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
        lock (_lock)
        {
            _replies.Add(new Reply(at, seq));
        }
    }

    /// <summary>An echo reply: <c>[1796061513.281486] 64 bytes from 10.240.20.2: icmp_seq=1 ttl=61 time=0.331 ms</c>.</summary>
    [GeneratedRegex(@"^\[(\d+)\.(\d+)\] \d+ bytes from \S+ icmp_seq=(\d+) ")]
    private static partial Regex ReplyLine();

    public void Dispose() => _ping?.Dispose();

    private readonly record struct Reply(DateTimeOffset At, int Seq);

    /// <summary>Two consecutive replies with none between them.</summary>
    public readonly record struct Gap(DateTimeOffset From, DateTimeOffset To)
    {
        public TimeSpan Length => To - From;
    }
}
