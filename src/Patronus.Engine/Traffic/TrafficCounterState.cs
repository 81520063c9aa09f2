namespace Patronus.Engine.Traffic;

/// <summary>
/// Monotonic totals over the kernel's counters, which start again at zero whenever the table is
/// recreated (or someone resets them). Each counter keeps what its earlier kernel incarnations had
/// counted (<c>carried</c>) and the last raw value read; total = carried + raw, so a total never goes
/// backwards and a Prometheus counter built on it sees no false reset.
/// <para>
/// A reset is known either because we recreated the table (<see cref="TableRecreated"/>, called
/// right after the counters were read one last time) or because a raw value went down between
/// two reads (someone else reset or recreated it): then the packets counted between the last read
/// and that reset are lost — the total stays monotonic but undercounts by them.
/// </para>
/// Owned by the accounting loop.
/// </summary>
internal sealed class TrafficCounterState
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many times a raw value went down on its own (resets we did not make).</summary>
    public long UnexpectedResets { get; private set; }

    /// <summary>Takes a raw reading; returns the total.</summary>
    public NftCounter Observe(string counter, NftCounter raw)
    {
        if (!_entries.TryGetValue(counter, out var e))
        {
            e = new Entry();
            _entries[counter] = e;
        }

        if (raw.Packets < e.Last.Packets || raw.Bytes < e.Last.Bytes)
        {
            e.Carried = Add(e.Carried, e.Last);
            UnexpectedResets++;
        }

        e.Last = raw;
        return Add(e.Carried, raw);
    }

    /// <summary>The total of a counter after its last reading, or false when it was never read.</summary>
    public bool TryGetTotal(string counter, out NftCounter total)
    {
        if (_entries.TryGetValue(counter, out var e))
        {
            total = Add(e.Carried, e.Last);
            return true;
        }

        total = default;
        return false;
    }

    /// <summary>Every kernel counter now starts at zero again: carry what each had.</summary>
    public void TableRecreated()
    {
        foreach (var e in _entries.Values)
        {
            e.Carried = Add(e.Carried, e.Last);
            e.Last = default;
        }
    }

    /// <summary>Forgets counters that are no longer in the table (a removed policy or path).</summary>
    public void Retain(IEnumerable<string> counters)
    {
        var keep = counters.ToHashSet(StringComparer.Ordinal);
        foreach (var name in _entries.Keys.Where(n => !keep.Contains(n)).ToList())
        {
            _entries.Remove(name);
        }
    }

    private static NftCounter Add(NftCounter a, NftCounter b) => new(a.Packets + b.Packets, a.Bytes + b.Bytes);

    private sealed class Entry
    {
        public NftCounter Carried { get; set; }

        public NftCounter Last { get; set; }
    }
}
