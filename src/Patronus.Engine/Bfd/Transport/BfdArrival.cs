namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// When a datagram arrived, on the loop's monotonic clock, from the kernel's receive timestamp
/// (SO_TIMESTAMPNS, on CLOCK_REALTIME): the Detection Time is judged against the packet's arrival,
/// not against when a busy or starved loop got round to reading it (issue 14: a process stalled
/// 90–150 ms read packets that had arrived in time and declared their sessions down).
/// </summary>
public static class BfdArrival
{
    /// <summary>
    /// The arrival as a timestamp of the loop's clock: <paramref name="now"/> minus the datagram's
    /// age on the real-time clock (<paramref name="realNowNs"/> − <paramref name="kernelNs"/>),
    /// kept within [<paramref name="notBefore"/>, <paramref name="now"/>]. <paramref name="notBefore"/>
    /// is when the loop last found the socket's queue empty: the datagram was not there yet, so a
    /// wall-clock step between arrival and read (which makes the age wrong by the step) can move
    /// the arrival no further back than that — a step never expires a session. Without a kernel
    /// timestamp (<paramref name="kernelNs"/> ≤ 0) the arrival is the read.
    /// </summary>
    /// <param name="now">The loop's clock when the datagram was read (TimeProvider timestamp).</param>
    /// <param name="notBefore">The loop's clock when the socket's queue was last seen empty.</param>
    /// <param name="realNowNs">The real-time clock at the read, ns since the Unix epoch.</param>
    /// <param name="kernelNs">The kernel's receive timestamp, ns since the Unix epoch; 0 if none.</param>
    /// <param name="frequency">Timestamp ticks per second (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    public static long ReceivedAt(long now, long notBefore, long realNowNs, long kernelNs, long frequency)
    {
        var ageNs = realNowNs - kernelNs;
        if (kernelNs <= 0 || ageNs <= 0 || notBefore >= now)
        {
            return now;
        }

        var maxAge = now - notBefore;
        var age = ageNs >= (long)(maxAge * (1e9 / frequency)) ? maxAge : (long)(ageNs * (frequency / 1e9));
        return now - age;
    }

    /// <summary>The real-time clock in ns since the Unix epoch, as the kernel stamps datagrams.</summary>
    public static long RealTimeNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
