namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>An echo to put in an outgoing data message: the peer's timestamp, how long we held it, and the peer's path it came on.</summary>
/// <param name="PathId">The peer's path id the timestamp arrived with (the message's echo path id).</param>
/// <param name="TimestampUs">The peer's send timestamp, as received.</param>
/// <param name="HoldUs">Microseconds from its arrival to now.</param>
public readonly record struct PendingEcho(byte PathId, uint TimestampUs, uint HoldUs);

/// <summary>
/// The peer's latest send timestamp per peer path, waiting to be echoed in our next data
/// message so the peer can measure that path's round trip (<see cref="RttEstimator"/>). Each
/// timestamp is echoed at most once; with several paths pending, they take turns, so a lightly
/// used path still gets its round trip measured. One owner (the peer's lock), no allocation per packet.
/// </summary>
public sealed class EchoBook
{
    private readonly Entry[] _entries = new Entry[256];
    private readonly long _frequency;
    private int _next;
    private int _pending;

    /// <summary>A book on <paramref name="time"/>'s monotonic clock.</summary>
    public EchoBook(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _frequency = time.TimestampFrequency;
    }

    /// <summary>Notes the peer's <paramref name="timestampUs"/> that arrived on its path <paramref name="pathId"/> at <paramref name="arrival"/>.</summary>
    public void Record(byte pathId, uint timestampUs, long arrival)
    {
        ref var entry = ref _entries[pathId];
        if (!entry.Pending)
        {
            _pending++;
        }

        entry = new Entry(true, timestampUs, arrival);
    }

    /// <summary>The next timestamp to echo in a message sent at <paramref name="now"/>; false when none is waiting.</summary>
    public bool TryTake(long now, out PendingEcho echo)
    {
        echo = default;
        if (_pending == 0)
        {
            return false;
        }

        for (var i = 0; i < _entries.Length; i++)
        {
            var pathId = (_next + i) & 0xFF;
            ref var entry = ref _entries[pathId];
            if (entry.Pending)
            {
                entry = entry with { Pending = false };
                _pending--;
                _next = (pathId + 1) & 0xFF;
                var hold = unchecked(MicrosecondClock.From(now, _frequency) - MicrosecondClock.From(entry.Arrival, _frequency));
                echo = new PendingEcho((byte)pathId, entry.TimestampUs, hold);
                return true;
            }
        }

        return false;
    }

    private readonly record struct Entry(bool Pending, uint TimestampUs, long Arrival);
}
