namespace Patronus.Engine.Health;

/// <summary>
/// The monitored paths of one topology, in topology order, with each path's current snapshot and
/// its numbers in one contiguous array. The monitor loop is the only writer (<see cref="HealthState"/>);
/// a new table replaces this one when the set of paths changes, so the table's identity is a key
/// for anything derived from the set (a scrape's pre-rendered labels).
/// <para>
/// Why a second copy of the numbers: a reader of all paths (the Prometheus scrape, every second)
/// that follows 10,000 snapshot references touches 10,000 objects scattered over a ~100 MB heap;
/// the rows here are 48 bytes each, 480 KB in a row, read front to back. A snapshot record
/// cannot be swapped into a struct array atomically, so each row is a sequence lock: the writer
/// makes the version odd, writes the numbers, makes it even; a reader that sees the same even
/// version before and after its read has a consistent row, and after a few tries (the writer
/// was preempted mid-row) it reads the path's immutable snapshot instead. One writer, no lock,
/// no allocation on either side.
/// </para>
/// </summary>
public sealed class PathHealthTable
{
    private const int ReadAttempts = 4;

    private readonly string[] _ids;
    private readonly Dictionary<string, int> _index;
    private readonly PathHealthSnapshot[] _snapshots;
    private readonly Row[] _rows;

    /// <summary>A table of <paramref name="snapshots"/> (one per path id, in order).</summary>
    public PathHealthTable(IEnumerable<PathHealthSnapshot> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        _snapshots = [.. snapshots];
        _ids = new string[_snapshots.Length];
        _rows = new Row[_snapshots.Length];
        _index = new Dictionary<string, int>(_snapshots.Length, StringComparer.Ordinal);
        for (var i = 0; i < _snapshots.Length; i++)
        {
            var snapshot = _snapshots[i] ?? throw new ArgumentException($"snapshot {i} is null", nameof(snapshots));
            if (!_index.TryAdd(snapshot.PathId, i))
            {
                throw new ArgumentException($"path '{snapshot.PathId}' appears twice", nameof(snapshots));
            }

            _ids[i] = snapshot.PathId;
            _rows[i].Set(snapshot);
        }
    }

    /// <summary>An empty table.</summary>
    public static PathHealthTable Empty { get; } = new([]);

    /// <summary>Paths in the table.</summary>
    public int Count => _ids.Length;

    /// <summary>The path ids in table order (fixed for the table's life).</summary>
    public ReadOnlySpan<string> PathIds => _ids;

    /// <summary>The row of <paramref name="pathId"/>, or -1.</summary>
    public int IndexOf(string pathId) => _index.TryGetValue(pathId, out var i) ? i : -1;

    /// <summary>The current snapshot of row <paramref name="index"/>.</summary>
    public PathHealthSnapshot Snapshot(int index) => Volatile.Read(ref _snapshots[index]);

    /// <summary>Every path's current snapshot, in table order (a new array).</summary>
    public PathHealthSnapshot[] Snapshots()
    {
        var result = new PathHealthSnapshot[_snapshots.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Volatile.Read(ref _snapshots[i]);
        }

        return result;
    }

    /// <summary>
    /// Copies every row's numbers into columns (each at least <see cref="Count"/> long), one
    /// consistent row at a time: a path's five values always come from one snapshot.
    /// </summary>
    public void CopyColumns(Span<double> latencyMs, Span<double> lossPct, Span<double> jitterMs, Span<double> score, Span<PathStatus> status)
    {
        var n = _rows.Length;
        if (latencyMs.Length < n || lossPct.Length < n || jitterMs.Length < n || score.Length < n || status.Length < n)
        {
            throw new ArgumentException($"every column needs room for {n} rows");
        }

        for (var i = 0; i < n; i++)
        {
            if (!_rows[i].TryRead(out latencyMs[i], out lossPct[i], out jitterMs[i], out score[i], out status[i]))
            {
                var s = Volatile.Read(ref _snapshots[i]);
                (latencyMs[i], lossPct[i], jitterMs[i], score[i], status[i]) = (s.LatencyMs, s.PacketLossPct, s.JitterMs, s.HealthScore, s.Status);
            }
        }
    }

    /// <summary>Monitor only: publishes <paramref name="snapshot"/> as row <paramref name="index"/>'s current state.</summary>
    internal void Publish(int index, PathHealthSnapshot snapshot)
    {
        Volatile.Write(ref _snapshots[index], snapshot);
        _rows[index].Write(snapshot);
    }

    private struct Row
    {
        private long _version;
        private double _latencyMs;
        private double _lossPct;
        private double _jitterMs;
        private double _score;
        private PathStatus _status;

        public void Set(PathHealthSnapshot s) =>
            (_latencyMs, _lossPct, _jitterMs, _score, _status) = (s.LatencyMs, s.PacketLossPct, s.JitterMs, s.HealthScore, s.Status);

        public void Write(PathHealthSnapshot s)
        {
            var version = _version;
            // Odd while writing; the exchange is a full fence, so no store below moves above it.
            Interlocked.Exchange(ref _version, version + 1);
            Set(s);
            Volatile.Write(ref _version, version + 2);
        }

        public bool TryRead(out double latencyMs, out double lossPct, out double jitterMs, out double score, out PathStatus status)
        {
            for (var attempt = 0; attempt < ReadAttempts; attempt++)
            {
                var before = Volatile.Read(ref _version);
                (latencyMs, lossPct, jitterMs, score, status) = (_latencyMs, _lossPct, _jitterMs, _score, _status);
                // The reads above complete before the version is read again.
                Interlocked.MemoryBarrier();
                if ((before & 1) == 0 && Volatile.Read(ref _version) == before)
                {
                    return true;
                }
            }

            (latencyMs, lossPct, jitterMs, score, status) = (0, 0, 0, 0, PathStatus.Down);
            return false;
        }
    }
}
