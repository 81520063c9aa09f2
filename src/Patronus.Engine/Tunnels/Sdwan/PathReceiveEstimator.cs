namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// Passive measurement of one sending path (issue 16 item 3), from the data messages the peer
/// sends on it: loss and reordering over a sliding window of arrival time, and interarrival
/// jitter (RFC 3550 §6.4.1 and A.8: J += (|D| − J) / 16, D the change in transit time between
/// consecutive packets). Fed per packet with the path's sequence number, the sender's timestamp
/// and the arrival time; read with <see cref="Measure"/>. Why passive: a path carrying traffic
/// shows its loss within a fraction of a second from that traffic, faster than probes sent every
/// few hundred milliseconds can.
/// Loss: each packet that moves the highest sequence expects the numbers it moved past; each
/// distinct packet counts as received in the bucket it arrived in; loss over the window is
/// (expected − received) / expected, so a late packet repays the loss it caused. Gaps: a jump of
/// more than <see cref="MaxDropout"/> numbers, or the first packet after more than a window of
/// silence, restarts the count there (the loss, if any, is not in the window); a packet too far
/// behind is ignored, and two such in sequence mean the sender restarted (RFC 3550 A.1's probation).
/// One owner (the receive path), time from the <see cref="TimeProvider"/> it was built with.
/// </summary>
public sealed class PathReceiveEstimator
{
    /// <summary>The default window: 10 s in 10 buckets of 1 s, what the lab compares against injected loss.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    /// <summary>A forward jump larger than this many numbers is a restart, not loss: 65,536 (0.65 s at 100 kpps).</summary>
    public const int MaxDropout = 65_536;

    private readonly long _bucketTicks;
    private readonly Bucket[] _buckets;
    private readonly long _windowTicks;
    private readonly long _frequency;
    private readonly SequenceWindow _sequences = new();
    private long _lastArrival;
    private int? _lastTransit;
    private double _jitterUs;
    private bool _hasJitter;
    private uint? _probation;

    /// <summary>An estimator over <paramref name="window"/> (default <see cref="DefaultWindow"/>) in <paramref name="buckets"/> buckets.</summary>
    public PathReceiveEstimator(TimeProvider time, TimeSpan? window = null, int buckets = 10)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        var span = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero);
        _frequency = time.TimestampFrequency;
        _windowTicks = (long)(span.TotalSeconds * _frequency);
        _bucketTicks = Math.Max(1, _windowTicks / buckets);
        _buckets = new Bucket[buckets];
    }

    /// <summary>Times the count restarted (a long gap, a huge jump, a sender restart).</summary>
    public long Restarts { get; private set; }

    /// <summary>
    /// Takes one data message: its path <paramref name="sequence"/>, the sender's
    /// <paramref name="sendTimestampUs"/> (<see cref="MicrosecondClock"/> on its side) and the
    /// <paramref name="arrival"/> timestamp on this side's <see cref="TimeProvider"/>.
    /// </summary>
    public void OnPacket(uint sequence, uint sendTimestampUs, long arrival)
    {
        ref var bucket = ref BucketAt(arrival);
        var silentTooLong = _sequences.Started && arrival - _lastArrival > _windowTicks;
        var distance = _sequences.DistanceFromHighest(sequence);
        if (!_sequences.Started || silentTooLong || distance > MaxDropout)
        {
            Restart(sequence, ref bucket, counted: _sequences.Started);
        }
        else
        {
            switch (_sequences.Observe(sequence))
            {
                case SequenceVerdict.Newest:
                    bucket.Expected += distance;
                    bucket.Received++;
                    _probation = null;
                    break;
                case SequenceVerdict.Late:
                    bucket.Received++;
                    bucket.Reordered++;
                    break;
                case SequenceVerdict.Duplicate:
                    bucket.Duplicates++;
                    return; // a copy says nothing new about transit time
                default:
                    // Too far behind: a stray, unless the next one follows it (the sender restarted).
                    if (_probation == sequence)
                    {
                        Restart(sequence, ref bucket, counted: true);
                        break;
                    }

                    _probation = unchecked(sequence + 1);
                    return;
            }
        }

        _lastArrival = arrival;
        Jitter(unchecked((int)(MicrosecondClock.From(arrival, _frequency) - sendTimestampUs)));
    }

    /// <summary>The measurement over the window that ends at <paramref name="now"/>.</summary>
    public PassiveMeasurement Measure(long now)
    {
        long received = 0, expected = 0, reordered = 0, duplicates = 0;
        var newest = now / _bucketTicks;
        foreach (var bucket in _buckets)
        {
            if (bucket.Epoch > newest - _buckets.Length && bucket.Epoch <= newest)
            {
                received += bucket.Received;
                expected += bucket.Expected;
                reordered += bucket.Reordered;
                duplicates += bucket.Duplicates;
            }
        }

        return new PassiveMeasurement(
            received,
            expected,
            expected == 0 ? null : Math.Max(0, expected - received) * 100.0 / expected,
            received == 0 ? null : reordered * 100.0 / received,
            duplicates,
            _hasJitter ? _jitterUs / 1000 : null);
    }

    /// <summary>
    /// Loss over the newest buckets up to <paramref name="now"/> that together expect at least
    /// <paramref name="minExpected"/> messages (the whole window when they never do): what path
    /// health weighs. A busy path is judged on its last second or two, so it reacts to new loss
    /// that soon; a quiet one on as much of the window as it takes to have a count worth reading.
    /// </summary>
    /// <returns>Expected and received in that span (both 0 when the window is empty).</returns>
    public (long Expected, long Received) MeasureRecent(long now, long minExpected)
    {
        long received = 0, expected = 0;
        var newest = now / _bucketTicks;
        for (var epoch = newest; epoch > newest - _buckets.Length && expected < minExpected; epoch--)
        {
            ref readonly var bucket = ref _buckets[(int)(epoch % _buckets.Length)];
            if (bucket.Epoch == epoch)
            {
                received += bucket.Received;
                expected += bucket.Expected;
            }
        }

        return (expected, received);
    }

    private void Restart(uint sequence, ref Bucket bucket, bool counted)
    {
        _sequences.Restart(sequence);
        _probation = null;
        _lastTransit = null;
        bucket.Expected++;
        bucket.Received++;
        if (counted)
        {
            Restarts++;
        }
    }

    private void Jitter(int transit)
    {
        if (_lastTransit is { } last)
        {
            var d = Math.Abs((double)unchecked(transit - last));
            _jitterUs += (d - _jitterUs) / 16;
            _hasJitter = true;
        }

        _lastTransit = transit;
    }

    private ref Bucket BucketAt(long arrival)
    {
        var epoch = arrival / _bucketTicks;
        ref var bucket = ref _buckets[(int)(epoch % _buckets.Length)];
        if (bucket.Epoch != epoch)
        {
            bucket = new Bucket { Epoch = epoch };
        }

        return ref bucket;
    }

    private struct Bucket
    {
        public long Epoch;
        public long Expected;
        public long Received;
        public long Reordered;
        public long Duplicates;
    }
}
