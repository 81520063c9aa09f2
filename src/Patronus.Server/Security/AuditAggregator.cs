using System.Globalization;
using System.Text;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// Collapses repeated refused requests into one audit row per source per <see cref="Window"/>.
/// The first refusal of a source opens its window and is written in full (who, what, which
/// username was tried); every further one in the window is only counted, and when the window is
/// over one <c>summary</c> row says how many there were, of which actions and statuses, and the
/// first few usernames tried. So a flood costs at most two rows per source per minute, and
/// sources are bounded too: past <see cref="MaxSources"/> open windows, new sources share one
/// overflow window. Worst case: 2 × (<see cref="MaxSources"/> + 1) rows a minute, ~1 kB each.
/// In memory: counts of windows still open are lost with the process. Windows are timed on the
/// monotonic clock (a wall-clock step neither holds a window open nor closes it early); the
/// summary's times are the entries' wall-clock stamps.
/// </summary>
public sealed class AuditAggregator(TimeProvider time)
{
    /// <summary>One window per source: its first refusal is written at once, the rest summarised when it closes.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Open windows; beyond this many sources, new ones share the overflow window (client address <c>*</c>).</summary>
    public const int MaxSources = 100;

    /// <summary>How many distinct actions and usernames a summary names; the rest are counted as "others".</summary>
    public const int MaxListed = 5;

    private static readonly AuditSource s_overflow = new("*", null, "*");

    private readonly Lock _lock = new();
    private readonly Dictionary<string, OpenWindow> _open = new(StringComparer.Ordinal);
    private readonly List<OpenWindow> _closed = [];

    /// <summary>
    /// True when <paramref name="entry"/> opens a window for its source and must be written; false
    /// when it was counted into the source's open window.
    /// </summary>
    public bool Admit(AuditSource source, AuditRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (!_open.ContainsKey(source.Key) && _open.Count >= MaxSources)
            {
                source = s_overflow;
            }

            var now = time.GetTimestamp();
            if (_open.TryGetValue(source.Key, out var window))
            {
                if (time.GetElapsedTime(window.Start, now) < Window)
                {
                    window.Add(entry);
                    return false;
                }

                // Over but not yet summarised: its summary is still due; this entry opens the next one.
                _open.Remove(source.Key);
                _closed.Add(window);
            }

            _open[source.Key] = new OpenWindow(source, now);
            return true;
        }
    }

    /// <summary>The summary rows of the windows over by now (of every window when <paramref name="all"/>), which are forgotten.</summary>
    public IReadOnlyList<AuditRecord> TakeSummaries(bool all)
    {
        List<OpenWindow> done;
        lock (_lock)
        {
            var now = time.GetTimestamp();
            done = [.. _closed];
            _closed.Clear();
            foreach (var (key, window) in _open.Where(w => all || time.GetElapsedTime(w.Value.Start, now) >= Window).ToList())
            {
                _open.Remove(key);
                done.Add(window);
            }
        }

        return [.. done.Where(w => w.Count > 0).Select(w => w.Summary())];
    }

    private sealed class OpenWindow(AuditSource source, long start)
    {
        private readonly Dictionary<string, int> _actions = new(StringComparer.Ordinal);
        private readonly List<string> _usernames = [];
        private int _otherActions;
        private int _lastStatus;
        private DateTimeOffset _first;
        private DateTimeOffset _last;

        /// <summary>When the window opened, as a monotonic timestamp.</summary>
        public long Start { get; } = start;

        public int Count { get; private set; }

        public void Add(AuditRecord entry)
        {
            if (Count++ == 0)
            {
                _first = entry.Timestamp;
            }

            _last = entry.Timestamp;
            _lastStatus = entry.StatusCode;
            var action = $"{entry.Action} → {entry.StatusCode.ToString(CultureInfo.InvariantCulture)}";
            if (_actions.TryGetValue(action, out var n) || _actions.Count < MaxListed)
            {
                _actions[action] = n + 1;
            }
            else
            {
                _otherActions++;
            }

            // Usernames a client tried (logins) say what it was after; signed-in users are the source itself.
            if (source.Username is null && entry.Username is { } name && _usernames.Count <= MaxListed && !_usernames.Contains(name, StringComparer.Ordinal))
            {
                _usernames.Add(name);
            }
        }

        public AuditRecord Summary()
        {
            var detail = new StringBuilder();
            detail.Append(CultureInfo.InvariantCulture, $"{Count} more refused requests between {_first:HH:mm:ss} and {_last:HH:mm:ss} UTC: ");
            detail.AppendJoin(", ", _actions.Select(a => $"{a.Key} ×{a.Value.ToString(CultureInfo.InvariantCulture)}"));
            if (_otherActions > 0)
            {
                detail.Append(CultureInfo.InvariantCulture, $", others ×{_otherActions}");
            }

            if (_usernames.Count > 0)
            {
                detail.Append("; usernames tried: ").AppendJoin(", ", _usernames.Take(MaxListed));
                if (_usernames.Count > MaxListed)
                {
                    detail.Append(", …");
                }
            }

            return new AuditRecord(_last, source.Username, "summary", null, source.Address, AuditLog.ResultOf(_lastStatus), _lastStatus, detail.ToString());
        }
    }
}
