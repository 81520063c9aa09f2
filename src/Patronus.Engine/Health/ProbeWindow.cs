namespace Patronus.Engine.Health;

/// <summary>
/// Measurements of one probe target over a sliding window, bounded both by time and by count
/// (whichever keeps fewer probes). Owned by one monitor loop: not thread-safe, no locks. Times are
/// the loop's monotonic <see cref="Loops.LoopTime.Elapsed"/>: a wall-clock step expires nothing.
/// <list type="bullet">
/// <item>Loss is exact by sequence: each probe is Pending until its reply (Answered) or its
/// timeout (Lost). A reply that arrives after the timeout does not change a Lost probe — a probe
/// never counts twice — and is only counted as late.</item>
/// <item>Latency is the mean RTT of the answered probes in the window.</item>
/// <item>Jitter is the mean absolute difference between the RTTs of consecutive answered probes,
/// in sequence order (the RFC 3550 §6.4.1 inter-arrival difference |D(i-1,i)|, averaged
/// arithmetically over the window rather than with RFC 3550's 1/16 exponential filter, so it
/// forgets an old spike as soon as the spike leaves the window).</item>
/// <item>When every probe in the window is lost, loss is 100 % and latency and jitter keep their
/// last measured values — never 0 (which would read as perfect) nor infinity (which breaks JSON
/// and Prometheus).</item>
/// </list>
/// </summary>
public sealed class ProbeWindow
{
    // A ring of structs: no allocation per probe, ~24 bytes per slot (memory bar: < 2 KB per path).
    private readonly Probe[] _ring;
    private readonly TimeSpan _span;
    private int _head; // index of the oldest probe
    private int _count;
    private double _lastLatencyMs;
    private double _lastJitterMs;

    /// <param name="span">Probes sent longer ago than this leave the window.</param>
    /// <param name="maxCount">At most this many most recent probes are kept.</param>
    public ProbeWindow(TimeSpan span, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        _span = span;
        _ring = new Probe[maxCount];
    }

    /// <summary>Lost probes in a row (the newest completed probes), for fast probing and down confirmation.</summary>
    public int ConsecutiveLost { get; private set; }

    /// <summary>Answered probes in a row.</summary>
    public int ConsecutiveAnswered { get; private set; }

    /// <summary>Replies that came after their probe had already timed out.</summary>
    public long LateReplies { get; private set; }

    /// <summary>Replies for sequences this window never sent, already forgot, or already counted.</summary>
    public long UnknownReplies { get; private set; }

    /// <summary>True once at least one probe has been answered since the window was created.</summary>
    public bool EverAnswered { get; private set; }

    /// <summary>Most recent RTT, for adaptive timeouts.</summary>
    public TimeSpan? LastRtt { get; private set; }

    /// <summary>Probes sent and neither answered nor timed out.</summary>
    public int PendingCount
    {
        get
        {
            var n = 0;
            for (var i = 0; i < _count; i++)
            {
                n += At(i).State == ProbeState.Pending ? 1 : 0;
            }

            return n;
        }
    }

    private ref Probe At(int i) => ref _ring[(_head + i) % _ring.Length];

    /// <summary>Records probe <paramref name="sequence"/> as sent at <paramref name="at"/> (monotonic).</summary>
    public void Sent(uint sequence, TimeSpan at)
    {
        if (_count == _ring.Length)
        {
            // Full: the oldest probe leaves the window by count.
            _head = (_head + 1) % _ring.Length;
            _count--;
        }

        ref var slot = ref At(_count);
        slot = new Probe { Sequence = sequence, SentAt = at, State = ProbeState.Pending };
        _count++;
    }

    /// <summary>Records a reply. Returns false when it did not count (late, duplicate or unknown).</summary>
    public bool Answered(uint sequence, TimeSpan rtt)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            ref var probe = ref At(i);
            if (probe.Sequence != sequence)
            {
                continue;
            }

            if (probe.State != ProbeState.Pending)
            {
                if (probe.State == ProbeState.Lost)
                {
                    LateReplies++;
                }
                else
                {
                    UnknownReplies++; // a duplicate of an answered probe
                }

                return false;
            }

            probe.State = ProbeState.Answered;
            probe.RttMs = Math.Max(0, rtt.TotalMilliseconds);
            LastRtt = rtt < TimeSpan.Zero ? TimeSpan.Zero : rtt;
            EverAnswered = true;
            ConsecutiveAnswered++;
            ConsecutiveLost = 0;
            return true;
        }

        UnknownReplies++;
        return false;
    }

    /// <summary>True when <see cref="Expire"/> at <paramref name="now"/> would mark a probe lost.</summary>
    public bool AnyExpired(TimeSpan now, TimeSpan timeout)
    {
        var limit = now - timeout;
        for (var i = 0; i < _count; i++)
        {
            ref var probe = ref At(i);
            if (probe.State == ProbeState.Pending && probe.SentAt <= limit)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks probes older than <paramref name="timeout"/> at <paramref name="now"/> (monotonic) lost. Returns how many were lost now.</summary>
    public int Expire(TimeSpan now, TimeSpan timeout)
    {
        var lost = 0;
        var limit = now - timeout;
        for (var i = 0; i < _count; i++)
        {
            ref var probe = ref At(i);
            if (probe.State == ProbeState.Pending && probe.SentAt <= limit)
            {
                probe.State = ProbeState.Lost;
                lost++;
                ConsecutiveLost++;
                ConsecutiveAnswered = 0;
            }
        }

        return lost;
    }

    /// <summary>Drops probes sent longer ago than the window span at <paramref name="now"/> (monotonic).</summary>
    public void Trim(TimeSpan now)
    {
        var oldest = now - _span;
        while (_count > 0 && At(0).SentAt < oldest)
        {
            _head = (_head + 1) % _ring.Length;
            _count--;
        }
    }

    /// <summary>Measurements over the completed (answered or lost) probes in the window; null before any completed.</summary>
    public WindowMeasurement? Measure()
    {
        int answered = 0, lost = 0, diffs = 0;
        double rttSum = 0, diffSum = 0;
        double? previous = null;
        for (var i = 0; i < _count; i++)
        {
            ref var probe = ref At(i);
            if (probe.State == ProbeState.Answered)
            {
                answered++;
                rttSum += probe.RttMs;
                if (previous is { } p)
                {
                    diffSum += Math.Abs(probe.RttMs - p);
                    diffs++;
                }

                previous = probe.RttMs;
            }
            else if (probe.State == ProbeState.Lost)
            {
                lost++;
            }
        }

        if (answered + lost == 0)
        {
            return null;
        }

        if (answered > 0)
        {
            _lastLatencyMs = rttSum / answered;
            if (diffs > 0)
            {
                _lastJitterMs = diffSum / diffs;
            }
        }

        return new WindowMeasurement(_lastLatencyMs, lost * 100.0 / (answered + lost), _lastJitterMs, answered, lost);
    }

    private enum ProbeState : byte
    {
        Pending,
        Answered,
        Lost,
    }

    private struct Probe
    {
        public TimeSpan SentAt;
        public double RttMs;
        public uint Sequence;
        public ProbeState State;
    }
}

/// <summary>What a window measured.</summary>
public readonly record struct WindowMeasurement(double LatencyMs, double LossPct, double JitterMs, int Answered, int Lost);
