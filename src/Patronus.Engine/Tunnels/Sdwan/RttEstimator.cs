namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// Round-trip time of one of our paths from echoed timestamps (issue 16 item 3), for when the two
/// ends' clocks are not comparable (one-way delay needs synchronized clocks; a round trip needs
/// only ours): a data message we sent on the path carried our send timestamp; the peer echoes
/// it with the time it held it; RTT = now − echoed − hold, all in wrapping microseconds
/// (<see cref="MicrosecondClock"/>). Smoothed like TCP's SRTT (RFC 6298 §2: 7/8 old + 1/8 new).
/// A sample below 0 or above <see cref="MaxRtt"/> (a corrupt or ancient echo) is ignored.
/// One owner, not thread-safe.
/// </summary>
public sealed class RttEstimator
{
    /// <summary>Samples above this are ignored: 60 s, far beyond any path's round trip.</summary>
    public static readonly TimeSpan MaxRtt = TimeSpan.FromSeconds(60);

    private double _smoothedUs;

    /// <summary>Samples taken.</summary>
    public long Samples { get; private set; }

    /// <summary>Samples ignored as impossible.</summary>
    public long Rejected { get; private set; }

    /// <summary>The last sample, milliseconds; null before the first.</summary>
    public double? LatestMs { get; private set; }

    /// <summary>The smoothed RTT, milliseconds; null before the first sample.</summary>
    public double? SmoothedMs => Samples == 0 ? null : _smoothedUs / 1000;

    /// <summary>
    /// Takes an echo that arrived at <paramref name="nowUs"/> (our <see cref="MicrosecondClock"/>):
    /// the echoed <paramref name="echoTimestampUs"/> (ours) and the peer's <paramref name="holdUs"/>.
    /// False when the sample is impossible and was ignored.
    /// </summary>
    public bool OnEcho(uint echoTimestampUs, uint holdUs, uint nowUs)
    {
        var sample = (long)unchecked(nowUs - echoTimestampUs) - holdUs;
        if (sample < 0 || sample > MaxRtt.TotalMicroseconds)
        {
            Rejected++;
            return false;
        }

        _smoothedUs = Samples == 0 ? sample : _smoothedUs + ((sample - _smoothedUs) / 8);
        Samples++;
        LatestMs = sample / 1000.0;
        return true;
    }
}
