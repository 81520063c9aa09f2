using System.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Health;

public sealed partial class PathHealthMonitor
{
    /// <summary>
    /// Follows the topology: new paths start probing at once, removed ones stop and close their
    /// sockets, and a path whose link, targets or probe protocol changed starts over with fresh
    /// windows (old measurements describe a different path). A change of thresholds or quorum only
    /// re-evaluates.
    /// </summary>
    private void ApplyTopology(TopologySnapshot topology)
    {
        var now = Clock.Elapsed;
        var wanted = new HashSet<string>(topology.Paths.Select(p => p.Id), StringComparer.Ordinal);
        foreach (var id in _paths.Keys.Where(id => !wanted.Contains(id)).ToList())
        {
            _ = _paths[id].DisposeAsync().AsTask();
            _paths.Remove(id);
        }

        foreach (var definition in topology.Paths)
        {
            topology.LinksById.TryGetValue(definition.LinkId, out var link);
            if (_paths.TryGetValue(definition.Id, out var existing))
            {
                if (existing.SameProbing(definition, link))
                {
                    existing.Definition = definition;
                    _dirty.Add(existing);
                    continue;
                }

                _ = existing.DisposeAsync().AsTask();
            }

            var path = new PathState(definition, link, _options);
            _paths[definition.Id] = path;
            // Spread first probes over the whole interval so thousands of paths do not fire at once;
            // each target keeps its phase, so the steady rate stays even. Over a quarter of it (as
            // before) 10,000 paths at 1/s sent 40,000 probes/s for 250 ms of every second, and
            // the reflectors' queues on a busy 2-core box held the tail past its 100 ms timeout (issue 14).
            var offset = FirstSendOffset(definition.Id, _options.Interval);
            foreach (var target in path.Targets)
            {
                target.NextSend = now + offset;
                Reschedule(target, target.NextSend);
            }
        }

        _state.SetPaths(topology.Paths.Select(p => _paths[p.Id].Last ?? PathHealthSnapshot.Unknown(p.Id, p.Targets.Count, p.Quorum)));
        var targets = 0;
        foreach (var path in _paths.Values)
        {
            targets += path.Targets.Length;
        }

        LogTopologyApplied(_logger, _paths.Count, targets);
    }

    /// <summary>
    /// When a new path's first probe goes out, after the topology is applied: a point in
    /// [0, <paramref name="interval"/>) from a hash of its id, so that the paths' probes are
    /// spread evenly over the interval from the first round on.
    /// </summary>
    internal static TimeSpan FirstSendOffset(string pathId, TimeSpan interval) =>
        TimeSpan.FromTicks((long)(((UInt128)(ulong)interval.Ticks * (uint)StringComparer.Ordinal.GetHashCode(pathId)) >> 32)); // 128 bits: an hour of ticks times 2^32 overflows 64

    private sealed class PathState : IAsyncDisposable
    {
        public PathState(PathDefinition definition, WanLink? link, HealthOptions options)
        {
            Definition = definition;
            Link = link;
            Targets = new TargetState[definition.Targets.Count];
            for (var i = 0; i < Targets.Length; i++)
            {
                TopologyRules.CheckTarget(definition.Targets[i], out var endpoint);
                var remote = endpoint ?? new IPEndPoint(IPAddress.None, 0);
                if (remote.Port == 0 && definition.Probe == Probes.ProbeProtocol.Stamp)
                {
                    remote = new IPEndPoint(remote.Address, PathDefinition.DefaultStampPort);
                }

                Targets[i] = new TargetState(this, i, remote, new ProbeWindow(options.WindowSpan, options.WindowCount));
            }
        }

        public PathDefinition Definition { get; set; }

        public WanLink? Link { get; }

        public TargetState[] Targets { get; }

        public PathHealthSnapshot? Last { get; set; }

        public bool Disposed { get; private set; }

        public bool SameProbing(PathDefinition other, WanLink? link) =>
            other.LinkId == Definition.LinkId && other.Probe == Definition.Probe &&
            other.Targets.SequenceEqual(Definition.Targets) &&
            link?.SourceAddress == Link?.SourceAddress && link?.Interface == Link?.Interface;

        public async ValueTask DisposeAsync()
        {
            Disposed = true;
            foreach (var target in Targets)
            {
                target.Disposed = true;
                if (target.Session is { } session)
                {
                    target.Session = null;
                    await session.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private sealed class TargetState(PathState path, int index, IPEndPoint remote, ProbeWindow window)
    {
        // RFC 6298 smoothing: alpha 1/8 for the mean, beta 1/4 for the variation.
        private double _srttMs = -1;
        private double _rttVarMs;

        public PathState Path { get; } = path;

        public int Index { get; } = index;

        public IPEndPoint Remote { get; } = remote;

        public ProbeWindow Window { get; } = window;

        public Probes.IProbeSession? Session { get; set; }

        public string? LastFailure { get; set; }

        /// <summary>Monotonic time (the loop's <see cref="Loops.LoopTime.Elapsed"/>) of the next attempt to open the session.</summary>
        public TimeSpan RetrySessionAt { get; set; }

        public uint Sequence { get; set; }

        /// <summary>Monotonic time of the newest probe.</summary>
        public TimeSpan LastSent { get; set; }

        /// <summary>Monotonic time of the next probe.</summary>
        public TimeSpan NextSend { get; set; }

        /// <summary>Monotonic ticks of the target's live entry in the due queue (older entries are stale).</summary>
        public long ScheduledTicks { get; set; }

        public bool Fast { get; set; }

        public bool ConfirmedDown { get; set; }

        public volatile bool Disposed;

        public void ObserveRtt(TimeSpan rtt)
        {
            var ms = rtt.TotalMilliseconds;
            if (_srttMs < 0)
            {
                _srttMs = ms;
                _rttVarMs = ms / 2;
                return;
            }

            _rttVarMs = (0.75 * _rttVarMs) + (0.25 * Math.Abs(_srttMs - ms));
            _srttMs = (0.875 * _srttMs) + (0.125 * ms);
        }

        /// <summary>RTO = SRTT + 4 × RTTVAR (RFC 6298 §2), clamped to the configured bounds; the maximum until an RTT is known.</summary>
        public TimeSpan Timeout(HealthOptions options)
        {
            if (_srttMs < 0)
            {
                return options.MaxTimeout;
            }

            var rto = TimeSpan.FromMilliseconds(_srttMs + (4 * _rttVarMs));
            return rto < options.MinTimeout ? options.MinTimeout : rto > options.MaxTimeout ? options.MaxTimeout : rto;
        }
    }
}
