using System.Numerics;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// The sessions of one <see cref="StampSocket"/> to one reflector, by slot: what lets sessions to
/// the same reflector share a socket. A session puts its slot in the high <see cref="SlotBits"/>
/// bits of the Sequence Number it sends and its probe sequence in the low
/// <see cref="SequenceBits"/>; every reflector copies that number into the Session-Sender Sequence
/// Number of its reply (RFC 8762 §4.3.1), so the socket routes a reply by (source, high bits) and
/// the session matches the low bits against its send ring.
/// <list type="bullet">
/// <item>20 sequence bits wrap after 1,048,576 probes (29 h at 100 ms fast probing, 12 days at
/// 1/s); a reply is only matched while its probe is among the session's last
/// <see cref="StampProbeSession.RingSize"/>, so the wrap never aliases a live probe, and the ring
/// keeps the monitor's full 32-bit sequence to hand back.</item>
/// <item>12 slot bits allow 4,096 sessions to one reflector per socket; the factory opens another
/// socket of the link for more.</item>
/// </list>
/// Written only under the factory's lock; the receive loop reads <see cref="this[int]"/> without
/// one. The array is grown by replacing it, never in place, and elements are written with
/// <see cref="Volatile"/>, so a reader sees either a whole session or none. A freed slot is reused
/// by the next session (lowest free first, which keeps the array within a power of two of the peak
/// number of sessions): a late reply to the released session then reaches the new one and is
/// matched only if its low 20 bits equal a sequence the new session sent among its last 32 — the
/// exposure routing by source alone had, where the next session to the reflector inherited them.
/// </summary>
internal sealed class StampSlotTable
{
    /// <summary>High bits of the wire sequence that name the session's slot.</summary>
    public const int SlotBits = 12;

    /// <summary>Low bits of the wire sequence that carry the session's probe sequence.</summary>
    public const int SequenceBits = 32 - SlotBits;

    /// <summary>Sessions to one reflector that one socket can tell apart (4,096).</summary>
    public const int Capacity = 1 << SlotBits;

    /// <summary>The probe-sequence bits of a wire sequence.</summary>
    public const uint SequenceMask = (1u << SequenceBits) - 1;

    // Room for the first two sessions and two more before the first copy.
    private const int InitialLength = 4;

    private StampProbeSession?[] _sessions = new StampProbeSession?[InitialLength];
    private int _count;

    // Every slot below this one is taken: where the search for a free slot starts.
    private int _lowestFree;

    /// <summary>Creates the table of a reflector that already has <paramref name="first"/> on the socket.</summary>
    public StampSlotTable(StampProbeSession first) => Add(first);

    /// <summary>Sessions in the table.</summary>
    public int Count => _count;

    /// <summary>The session at <paramref name="slot"/>, or null (on the receive loop, without a lock).</summary>
    public StampProbeSession? this[int slot]
    {
        get
        {
            var sessions = Volatile.Read(ref _sessions);
            return (uint)slot < (uint)sessions.Length ? Volatile.Read(ref sessions[slot]) : null;
        }
    }

    /// <summary>The slot bits of a sequence as sent and echoed.</summary>
    public static int SlotOf(uint wireSequence) => (int)(wireSequence >> SequenceBits);

    /// <summary>The sequence sent for probe <paramref name="sequence"/> of the session at <paramref name="slot"/>.</summary>
    public static uint ToWire(int slot, uint sequence) => ((uint)slot << SequenceBits) | (sequence & SequenceMask);

    /// <summary>The lowest free slot; false when all <see cref="Capacity"/> are taken. Does not take it (<see cref="Add"/> does).</summary>
    public bool TryFindFree(out int slot)
    {
        var sessions = _sessions;
        slot = _lowestFree;
        while (slot < sessions.Length && sessions[slot] is not null)
        {
            slot++;
        }

        _lowestFree = slot;
        return slot < Capacity;
    }

    /// <summary>Puts <paramref name="session"/> at its <see cref="StampProbeSession.Slot"/>, which must be free.</summary>
    public void Add(StampProbeSession session)
    {
        var slot = session.Slot;
        var sessions = _sessions;
        if (slot >= sessions.Length)
        {
            var grown = new StampProbeSession?[Math.Min(Capacity, Math.Max(sessions.Length * 2, (int)BitOperations.RoundUpToPowerOf2((uint)slot + 1)))];
            sessions.CopyTo(grown, 0);
            Volatile.Write(ref _sessions, grown);
            sessions = grown;
        }

        if (sessions[slot] is not null)
        {
            throw new InvalidOperationException($"slot {slot} is taken");
        }

        Volatile.Write(ref sessions[slot], session);
        _count++;
    }

    /// <summary>Frees <paramref name="session"/>'s slot; false when it was not in the table.</summary>
    public bool Remove(StampProbeSession session)
    {
        var slot = session.Slot;
        var sessions = _sessions;
        if (slot >= sessions.Length || !ReferenceEquals(sessions[slot], session))
        {
            return false;
        }

        Volatile.Write(ref sessions[slot], null);
        _count--;
        _lowestFree = Math.Min(_lowestFree, slot);
        return true;
    }
}
