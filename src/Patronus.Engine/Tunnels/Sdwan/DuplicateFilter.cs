namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// The receiving side of packet duplication (issue 16 item 5): each packet of a duplicated class
/// arrives once per path, carrying the same packet sequence (the data message's Duplicated flag);
/// the first copy is delivered and the others are dropped and counted
/// (<see cref="DuplicatesDropped"/>, the <c>duplicates_dropped</c> counter). A copy more than
/// <see cref="SequenceWindow.Size"/> packets behind the newest is dropped too (<see cref="TooOld"/>):
/// whether its twin came can no longer be told, and for the real-time traffic that is duplicated
/// it is far too late anyway. The sequence space belongs to a session: the sender numbers from
/// 1 on each new session and the receiver keeps one filter per session, so a restart or rekey
/// never strands packets behind an old highest number. One owner (the receive path under the
/// peer's lock); counters read from anywhere.
/// </summary>
public sealed class DuplicateFilter
{
    private readonly SequenceWindow _window = new();
    private long _delivered;
    private long _duplicates;
    private long _tooOld;

    /// <summary>First copies delivered.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Later copies dropped.</summary>
    public long DuplicatesDropped => Volatile.Read(ref _duplicates);

    /// <summary>Copies dropped as too old to tell.</summary>
    public long TooOld => Volatile.Read(ref _tooOld);

    /// <summary>Whether the copy with <paramref name="packetSequence"/> is the first: deliver it; false: drop it (counted).</summary>
    public bool TryAccept(uint packetSequence)
    {
        switch (_window.Observe(packetSequence))
        {
            case SequenceVerdict.Newest or SequenceVerdict.Late:
                Interlocked.Increment(ref _delivered);
                return true;
            case SequenceVerdict.Duplicate:
                Interlocked.Increment(ref _duplicates);
                return false;
            default:
                Interlocked.Increment(ref _tooOld);
                return false;
        }
    }
}
