namespace Patronus.Engine.Traffic;

/// <summary>The table's life (create, rebuild in place, recreate) and the reads; all on the loop.</summary>
public sealed partial class TrafficAccountingService
{
    private static readonly string[] s_script = ["-f", "-"];

    private const string NotReadYet = "not read yet";

    private readonly Dictionary<string, NftCounter> _raw = new(StringComparer.Ordinal); // the last read, refilled by each

    // What the kernel has: null = nothing of ours known to be installed (create next).
    private AccountingRuleset? _applied;
    private List<string> _kernelCounters = [];
    private bool _installAttempted;
    private string? _lastError;
    private string? _lastCreateError;

    // Active flows: the last conntrack count, the policies it classified, when it was read.
    private ConntrackCount? _flows;
    private HashSet<long> _flowPolicies = [];
    private string? _flowsUnavailable = NotReadYet;
    private DateTimeOffset? _flowsReadAt;
    private TimeSpan? _nextFlowRead; // monotonic: a wall-clock step neither stalls nor hurries it

    /// <summary>Brings the table in line with the current policies and topology; false when the kernel refused.</summary>
    private async Task<bool> ApplyAsync(CancellationToken cancellationToken)
    {
        var desired = AccountingRuleset.Build(_policies.Current, _topology.Current, _options.Flows);
        if (_applied is { } applied)
        {
            if (applied.Body == desired.Body)
            {
                _applied = desired; // same rules; names may have changed
                return true;
            }

            var update = await _nft!.RunAsync(s_script, desired.UpdateScript(_kernelCounters), cancellationToken).ConfigureAwait(false);
            _metrics.Rebuilt("update", update.Succeeded);
            if (update.Succeeded)
            {
                Installed(desired);
                var countedPaths = desired.Paths.Count(p => p.Counter is not null);
                LogRebuilt(_logger, desired.Policies.Count, countedPaths);
                return true;
            }

            // Our view of the table was wrong (someone changed it): read what is there one last
            // time, so the recreate loses as little as possible, then start over.
            LogUpdateFailed(_logger, update.Error);
            await ReadCountersAsync(cancellationToken).ConfigureAwait(false);
        }

        _installAttempted = true;
        var create = await _nft!.RunAsync(s_script, desired.CreateScript(), cancellationToken).ConfigureAwait(false);
        _metrics.Rebuilt("create", create.Succeeded);
        if (!create.Succeeded)
        {
            if (_current.ReadAt is null)
            {
                SetUnavailable($"the kernel refused the accounting table: {create.Error}");
            }

            if (create.Error != _lastCreateError)
            {
                LogCreateFailed(_logger, create.Error, _options.ReadInterval.TotalSeconds); // once per distinct error: it is retried every interval
            }

            _lastCreateError = create.Error;
            _applied = null;
            return false;
        }

        _lastCreateError = null;

        _counters.TableRecreated();
        var first = _applied is null && _current.ReadAt is null;
        Installed(desired);
        var counted = desired.Paths.Count(p => p.Counter is not null);
        if (first)
        {
            LogOn(_logger, AccountingRuleset.Family, AccountingRuleset.Table, desired.Policies.Count, counted, desired.Paths.Count);
        }
        else
        {
            LogRecreated(_logger, desired.Policies.Count, counted);
        }

        return true;
    }

    private void Installed(AccountingRuleset ruleset)
    {
        var changedPaths = _applied is null || !_applied.Paths.SequenceEqual(ruleset.Paths, PathCounterComparer.Instance);
        _applied = ruleset;
        _kernelCounters = ruleset.CounterNames.ToList();
        _counters.Retain(_kernelCounters);
        if (changedPaths)
        {
            foreach (var path in ruleset.Paths.Where(p => p.Unavailable is not null))
            {
                LogPathNotCounted(_logger, path.PathId, path.Unavailable!);
            }
        }
    }

    /// <summary>Reads the counters (and, when due, the conntrack table) and publishes a snapshot.</summary>
    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        if (!await ReadCountersAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var now = Clock.Now;
        if (_applied is { Flows: true } && (_nextFlowRead is not { } next || now.Elapsed >= next))
        {
            _nextFlowRead = now.Elapsed + _options.FlowReadInterval;
            ReadFlows(now.Wall);
        }

        Publish(Snapshot(now.Wall));
    }

    /// <summary>Folds one reading of the kernel's counters into the totals; false when there was none to fold.</summary>
    private async Task<bool> ReadCountersAsync(CancellationToken cancellationToken)
    {
        var applied = _applied!;
        var started = Time.GetTimestamp();
        var reader = _reader!;
        var read = await reader.ReadAsync(_raw, cancellationToken).ConfigureAwait(false);
        _metrics.Read(Time.GetElapsedTime(started));
        if (read.Status != NftReadStatus.Read)
        {
            _metrics.ReadFailed(read.Status == NftReadStatus.Malformed ? "malformed" : reader.Source);
            ReadFailed(read.Error!);
            if (read.Status == NftReadStatus.TableMissing)
            {
                _applied = null; // the table is gone: recreate it, carrying the totals
            }

            return false;
        }

        var resetsBefore = _counters.UnexpectedResets;
        var missing = 0;
        var names = applied.CounterNames;
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            if (_raw.TryGetValue(name, out var value))
            {
                _counters.Observe(name, value);
            }
            else
            {
                missing++;
            }
        }

        if (_counters.UnexpectedResets > resetsBefore)
        {
            _metrics.UnexpectedResets(_counters.UnexpectedResets - resetsBefore);
            LogUnexpectedReset(_logger, _counters.UnexpectedResets - resetsBefore);
        }

        // What the kernel has, for the next in-place update's deletes: the same names as last time
        // on every read but the one after a change, so the list is rebuilt only then.
        if (!SameNames(_kernelCounters, _raw))
        {
            _kernelCounters = _raw.Keys.ToList();
        }

        if (missing > 0)
        {
            LogTableChanged(_logger, string.Join(", ", applied.CounterNames.Where(n => !_raw.ContainsKey(n))));
            _applied = null;
        }

        _lastError = null;
        return true;
    }

    private static bool SameNames(List<string> names, Dictionary<string, NftCounter> read)
    {
        if (names.Count != read.Count)
        {
            return false;
        }

        foreach (var name in names)
        {
            if (!read.ContainsKey(name))
            {
                return false;
            }
        }

        return true;
    }

    private void ReadFlows(DateTimeOffset now)
    {
        var applied = _applied!;
        try
        {
            _flows = ConntrackFlows.Count(_readLines(_options.ConntrackPath), new PolicyPrefixMap(applied.Policies));
            _flowPolicies = applied.Policies.Select(p => p.PolicyId).ToHashSet();
            _flowsReadAt = now;
            if (_flowsUnavailable is not null && _flowsUnavailable != NotReadYet)
            {
                LogFlowsBack(_logger);
            }

            _flowsUnavailable = null;
            if (_flows.Malformed > 0)
            {
                LogConntrackMalformed(_logger, _flows.Malformed, _options.ConntrackPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException
                ? $"{_options.ConntrackPath} does not exist (nf_conntrack not loaded, or built without procfs support)"
                : $"cannot read {_options.ConntrackPath}: {ex.Message}";
            _metrics.ReadFailed("conntrack");
            if (reason != _flowsUnavailable)
            {
                LogFlowsUnavailable(_logger, reason);
            }

            _flows = null;
            _flowsUnavailable = reason;
        }
    }

    private TrafficSnapshot Snapshot(DateTimeOffset now)
    {
        var applied = _applied ?? AccountingRuleset.Empty;
        var policies = new Dictionary<long, PolicyTraffic>(applied.Policies.Count);
        foreach (var p in applied.Policies)
        {
            if (_counters.TryGetTotal(p.Counter, out var total))
            {
                var (flows, flowsReason) = PolicyFlows(p.PolicyId);
                policies[p.PolicyId] = new PolicyTraffic(p.PolicyId, p.Name, total.Bytes, total.Packets, flows, flowsReason);
            }
        }

        return new TrafficSnapshot(now, policies, PathsSnapshot(applied), _flowsReadAt);
    }

    /// <summary>
    /// Every path's numbers, reusing the last snapshot's entry of a path whose numbers did not
    /// change, and the last snapshot's whole dictionary when none did. Read every second, a fresh
    /// dictionary of fresh records was the largest steady allocation of a serve with 1,000 paths
    /// (about 200 KB/s, docs/bfd.md "What a steady serve allocates"), and fewer bytes mean fewer
    /// collections, each a chance to freeze the BFD loop past a Detection Time.
    /// </summary>
    private IReadOnlyDictionary<string, PathTraffic> PathsSnapshot(AccountingRuleset applied)
    {
        var previous = _current.Paths;
        var unchanged = previous.Count == applied.Paths.Count;
        foreach (var p in applied.Paths)
        {
            if (!unchanged)
            {
                break;
            }

            unchanged = previous.TryGetValue(p.PathId, out var last) && Same(last, p, PathCounted(p));
        }

        if (unchanged)
        {
            return previous;
        }

        var paths = new Dictionary<string, PathTraffic>(applied.Paths.Count, StringComparer.Ordinal);
        foreach (var p in applied.Paths)
        {
            var counted = PathCounted(p);
            paths[p.PathId] = previous.TryGetValue(p.PathId, out var last) && Same(last, p, counted)
                ? last
                : new PathTraffic(p.PathId, p.LinkId, counted?.Bytes, counted?.Packets, p.Match, p.SharedWith,
                    PathUnavailable(p, counted), null, TrafficSnapshot.PathFlowsUnavailable);
        }

        return paths;
    }

    private NftCounter? PathCounted(PathCounter p) =>
        p.Counter is not null && _counters.TryGetTotal(p.Counter, out var total) ? total : null;

    private static string? PathUnavailable(PathCounter p, NftCounter? counted) => p.Unavailable ?? (counted is null ? NotReadYet : null);

    /// <summary>Whether <paramref name="last"/> is what a new entry for <paramref name="p"/> would hold (record equality, without building one).</summary>
    private static bool Same(PathTraffic last, PathCounter p, NftCounter? counted) =>
        last.PathId == p.PathId && last.LinkId == p.LinkId && last.Bytes == counted?.Bytes && last.Packets == counted?.Packets &&
        last.Match == p.Match && ReferenceEquals(last.SharedWith, p.SharedWith) && last.Unavailable == PathUnavailable(p, counted) &&
        last.ActiveFlows is null && ReferenceEquals(last.FlowsUnavailable, TrafficSnapshot.PathFlowsUnavailable);

    private (long? Flows, string? Reason) PolicyFlows(long policyId) =>
        !_options.Flows ? (null, "disabled by configuration (Traffic:Flows=false)")
        : _flows is null ? (null, _flowsUnavailable)
        : !_flowPolicies.Contains(policyId) ? (null, NotReadYet)
        : (_flows.PerPolicy.GetValueOrDefault(policyId), null);

    /// <summary>Logs a read failure at Warning the first time it happens, at Debug while it repeats.</summary>
    private void ReadFailed(string error)
    {
        if (error == _lastError)
        {
            LogReadFailedAgain(_logger, error);
            return;
        }

        _lastError = error;
        LogReadFailed(_logger, error);
    }

    private sealed class PathCounterComparer : IEqualityComparer<PathCounter>
    {
        public static readonly PathCounterComparer Instance = new();

        public bool Equals(PathCounter? x, PathCounter? y) =>
            x is not null && y is not null && x.PathId == y.PathId && x.Match == y.Match && x.Unavailable == y.Unavailable;

        public int GetHashCode(PathCounter obj) => obj.PathId.GetHashCode(StringComparison.Ordinal);
    }
}
