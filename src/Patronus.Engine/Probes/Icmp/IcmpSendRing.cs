namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// Send times of one session's outstanding probes, keyed by the full 32-bit sequence: slot
/// <c>sequence mod <see cref="Capacity"/></c> holds the last probe sent there. Written by the
/// sender, claimed by the receive loop, without locks or allocation: a slot's key is cleared
/// before its timestamp is rewritten and set after, and a reply claims the slot with a
/// compare-exchange on the key, so a reply never takes a timestamp that belongs to another
/// sequence and a duplicate reply finds the slot already claimed.
/// </summary>
internal sealed class IcmpSendRing
{
    /// <summary>
    /// Outstanding probes remembered per session (4 KiB; a session per path, so 4 MB at 1,000
    /// ICMP paths — 1,024 slots were 16 MB). A reply that comes back after 256 later probes were
    /// sent (25 s at the 100 ms fast interval, 25 times the default longest timeout) no longer
    /// matches and counts as unmatched, as it would have after its timeout anyway.
    /// </summary>
    public const int Capacity = 256;

    private readonly Slot[] _slots = new Slot[Capacity];

    /// <summary>Remembers that <paramref name="sequence"/> was sent at <paramref name="timestamp"/> (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public void Record(uint sequence, long timestamp)
    {
        ref var slot = ref _slots[sequence & (Capacity - 1)];
        Interlocked.Exchange(ref slot.Key, 0);
        Volatile.Write(ref slot.Timestamp, timestamp);
        Volatile.Write(ref slot.Key, KeyOf(sequence));
    }

    /// <summary>Claims the send time of <paramref name="sequence"/>; false when it is unknown, overwritten, or already claimed.</summary>
    public bool TryTake(uint sequence, out long timestamp)
    {
        ref var slot = ref _slots[sequence & (Capacity - 1)];
        var key = KeyOf(sequence);
        if (Volatile.Read(ref slot.Key) != key)
        {
            timestamp = 0;
            return false;
        }

        timestamp = Volatile.Read(ref slot.Timestamp);

        // Fails if the sender re-recorded the slot since the key was read (the timestamp read
        // may then be the new probe's) or another reply claimed it first.
        return Interlocked.CompareExchange(ref slot.Key, 0, key) == key;
    }

    // 0 marks an empty slot, so keys are sequence + 1 (sequence 0 is valid).
    private static long KeyOf(uint sequence) => (long)sequence + 1;

    private struct Slot
    {
        public long Key;
        public long Timestamp;
    }
}
