using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Telemetry;

namespace Patronus.Engine.Health;

/// <summary>
/// The one loop that owns every path's probing state: it sends probes when they are due, takes
/// replies from the probe sessions through a channel, expires probes whose timeout passed,
/// evaluates each changed path and publishes its snapshot to <see cref="HealthState"/>, hands
/// samples and status transitions to the <see cref="IHealthSink"/>, and follows topology changes.
/// Nothing else touches the per-target state, so it needs no locks. Sends, timeouts, windows and
/// the sample interval run on monotonic time (<see cref="Loops.LoopTime.Elapsed"/>); the wall
/// clock only stamps snapshots and samples.
/// </summary>
public sealed partial class PathHealthMonitor : EngineLoop
{
    // Replies in flight between session receive loops and this loop. 65,536 covers 10,000 paths
    // with several targets each for more than a second of loop stall; beyond that replies are
    // dropped (and the probes later count as lost, which is the truth about a stalled monitor).
    private const int ReplyQueueCapacity = 65_536;

    private readonly TopologyService _topology;
    private readonly HealthState _state;
    private readonly IHealthSink _sink;
    private readonly HealthMetrics? _metrics;
    private readonly Dictionary<ProbeProtocol, IProbeSessionFactory> _factories;
    private readonly HealthOptions _options;
    private readonly ILogger<PathHealthMonitor> _logger;
    private readonly IPathLivenessSource? _liveness;
    private readonly IPathPassiveSource? _passive;
    private readonly ProbeRoundSampling _roundSampling;
    private readonly Channel<Reply> _replies = Channel.CreateBounded<Reply>(new BoundedChannelOptions(ReplyQueueCapacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly Dictionary<string, PathState> _paths = new(StringComparer.Ordinal);
    private readonly PriorityQueue<TargetState, long> _due = new();
    private readonly HashSet<PathState> _dirty = [];
    private readonly List<(PathStatus? From, PathHealthSnapshot To)> _transitions = [];

    /// <summary>A pass that changes more paths than this logs a summary per kind of change instead of a line per path.</summary>
    internal const int TransitionLinesPerPass = 20;

    private const string FirstMeasurement = "(first measurement)";

    /// <summary>Paths named in a summary line.</summary>
    internal const int TransitionExamples = 5;
    private bool _icmpFallbackLogged;
    private ChangeWatch? _topologyChanges;
    private ChangeWatch? _livenessChanges;
    private ChangeWatch? _passiveChanges;

    public PathHealthMonitor(TopologyService topology, HealthState state, IHealthSink sink, IEnumerable<IProbeSessionFactory> factories,
        IOptions<HealthOptions> options, TimeProvider time, ILogger<PathHealthMonitor> logger, IPathLivenessSource? liveness = null,
        ProbeRoundSampling? roundSampling = null, HealthMetrics? metrics = null, IPathPassiveSource? passive = null)
        : base(time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _topology = topology;
        _state = state;
        _sink = sink;
        _factories = factories.ToDictionary(f => f.Protocol);
        _options = options.Value;
        _logger = logger;
        _liveness = liveness;
        _roundSampling = roundSampling ?? ProbeRoundSampling.Default;
        _metrics = metrics;
        _passive = _options.UsePassiveLoss ? passive : null;
    }

    /// <inheritdoc />
    public override string LoopName => "health_monitor";

    /// <summary>Replies dropped because the loop fell behind.</summary>
    public long DroppedReplies => Interlocked.Read(ref _droppedReplies);

    private long _droppedReplies;

    protected override ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
    {
        // The first iteration applies the topology the loop starts with, like every later change.
        _topologyChanges = _topology.Changed.Watch(changedAtFirst: true);
        WakeOn(_topologyChanges);
        WakeOn(_replies.Reader);
        if (_liveness is not null)
        {
            _livenessChanges = _liveness.Changed.Watch();
            WakeOn(_livenessChanges);
        }

        if (_passive is not null)
        {
            _passiveChanges = _passive.Changed.Watch();
            WakeOn(_passiveChanges);
        }

        return ValueTask.FromResult(true);
    }

    protected override ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
    {
        if (_topologyChanges!.Consume())
        {
            ApplyTopology(_topology.Current);
        }

        if (_livenessChanges?.Consume() == true)
        {
            LivenessChanged();
        }

        if (_passiveChanges?.Consume() == true)
        {
            PassiveChanged();
        }

        return ValueTask.FromResult<TimeSpan?>(Iterate());
    }

    protected override void LogIterationFailed(Exception exception) => LogLoopError(_logger, exception);

    protected override async ValueTask StoppedAsync()
    {
        foreach (var path in _paths.Values)
        {
            await path.DisposeAsync().ConfigureAwait(false);
        }

        _paths.Clear();
    }

    private TimeSpan? _nextSample;
    private bool _receivedPending;

    /// <summary>
    /// One pass of the loop now: take replies, send what is due, expire what timed out, publish
    /// changed paths, record samples when their interval has passed. Returns how long the loop may
    /// sleep without new input. Tests drive the monitor through this with a fake clock; the
    /// background loop calls it between waits.
    /// </summary>
    internal TimeSpan Iterate()
    {
        var now = Clock.Now;
        using var round = StartProbeRound(now.Elapsed);
        _nextSample ??= now.Elapsed + _options.SampleInterval;

        DrainReplies();
        _receivedPending = false;
        try
        {
            RunDue(now.Elapsed);
        }
        finally
        {
            FlushSends();
        }

        EvaluateDirty(now.Wall);
        if (now.Elapsed >= _nextSample)
        {
            RecordSamples(now.Wall);
            _nextSample = now.Elapsed + _options.SampleInterval;
        }

        // Until the next sample, or the earliest target due before it.
        var until = _nextSample.Value;
        if (_due.TryPeek(out _, out var dueTicks) && dueTicks < until.Ticks)
        {
            until = TimeSpan.FromTicks(dueTicks);
        }

        return until - now.Elapsed;
    }

    /// <summary>
    /// A liveness opinion changed: every measured path whose opinion differs from the one its last
    /// snapshot carries (and only those) is evaluated again at the next iteration (a BFD storm of 1,000 sessions
    /// re-evaluated all 1,000 paths per change and the garbage stalled BFD itself, issue 14).
    /// </summary>
    internal void LivenessChanged()
    {
        foreach (var path in _paths.Values)
        {
            // Not measured yet: the opinion is applied to the first measurement, nothing to redo.
            if (path.Last is { LastChecked: not null } last && last.Liveness != _liveness?.Liveness(path.Definition.Id))
            {
                _dirty.Add(path);
            }
        }
    }

    /// <summary>
    /// The tunnels published new passive measurements: every measured path whose measurement differs
    /// from the one its last snapshot carries is evaluated again at the next iteration (the paths
    /// carrying no tunnel traffic are not).
    /// </summary>
    internal void PassiveChanged()
    {
        foreach (var path in _paths.Values)
        {
            if (path.Last is { LastChecked: not null } last && last.Passive != _passive?.Passive(path.Definition.Id))
            {
                _dirty.Add(path);
            }
        }
    }

    /// <summary>Tests: apply a topology synchronously, as the loop does when it changes.</summary>
    internal void ApplyTopologyForTest(TopologySnapshot topology) => ApplyTopology(topology);

    private void DrainReplies()
    {
        while (_replies.Reader.TryRead(out var reply))
        {
            var target = reply.Target;
            if (target.Disposed)
            {
                continue;
            }

            if (target.Window.Answered(reply.Sequence, reply.RoundTrip))
            {
                _round.Replies++;
                target.ObserveRtt(reply.RoundTrip);
                if (target.Fast && target.Window.ConsecutiveAnswered >= _options.ConfirmCount)
                {
                    // Confirmed up: back to the normal rate.
                    target.Fast = false;
                    target.ConfirmedDown = false;
                    target.NextSend = target.LastSent + _options.Interval;
                    ScheduleNext(target);
                }
                else if (target.ConfirmedDown && !target.Fast)
                {
                    // A down target answers again: probe fast until it has proven itself.
                    target.Fast = true;
                    target.NextSend = target.LastSent + _options.FastInterval;
                    ScheduleNext(target);
                }

                _dirty.Add(target.Path);
            }
        }
    }

    private void RunDue(TimeSpan now)
    {
        while (_due.TryPeek(out var target, out var dueTicks) && dueTicks <= now.Ticks)
        {
            _due.Dequeue();
            if (target.Disposed || target.ScheduledTicks != dueTicks)
            {
                continue; // stale entry: the target was rescheduled or removed
            }

            _round.TargetsDue++;
            ProcessTarget(target, now);
        }
    }

    private void ProcessTarget(TargetState target, TimeSpan now)
    {
        var timeout = target.Timeout(_options);
        if (!_receivedPending && target.Window.AnyExpired(now, timeout))
        {
            ReceivePending();
        }

        var expired = target.Window.Expire(now, timeout);
        _round.Lost += expired;
        if (expired > 0)
        {
            _dirty.Add(target.Path);
            if (!target.ConfirmedDown)
            {
                if (target.Window.ConsecutiveLost >= _options.ConfirmCount)
                {
                    // Confirmed down: stop hammering a dead path; a reply will bring fast probing back.
                    target.ConfirmedDown = true;
                    target.Fast = false;
                }
                else if (!target.Fast)
                {
                    target.Fast = true;
                    target.NextSend = Min(target.NextSend, target.LastSent + _options.FastInterval);
                }
            }
        }

        if (now >= target.NextSend)
        {
            Send(target, now);
            target.NextSend = now + (target.Fast ? _options.FastInterval : _options.Interval);
        }

        target.Window.Trim(now);
        ScheduleNext(target);
    }

    /// <summary>
    /// Receive before expiring: before the first probe of an iteration is declared lost, every
    /// reply already queued in the kernel is read on this thread and taken, so that a receive loop
    /// that did not get the CPU in time (a loaded box, a GC pause) cannot turn replies that arrived
    /// in time into losses; their round trips come from the kernel's receive timestamps, so they
    /// are not inflated into jitter either. Once per iteration: it costs a system call per socket.
    /// </summary>
    private void ReceivePending()
    {
        _receivedPending = true;
        foreach (var factory in _factories.Values)
        {
            factory.ReceivePending();
        }

        DrainReplies();
    }

    /// <summary>Wakes the target at its next send, or earlier when its newest probe times out first.</summary>
    private void ScheduleNext(TargetState target)
    {
        var due = target.NextSend;
        if (target.Window.PendingCount > 0)
        {
            due = Min(due, target.LastSent + target.Timeout(_options));
        }

        Reschedule(target, due);
    }

    private void Send(TargetState target, TimeSpan now)
    {
        if (target.Session is null && now >= target.RetrySessionAt)
        {
            OpenSession(target, now);
        }

        var sequence = ++target.Sequence;
        target.Window.Sent(sequence, now);
        target.LastSent = now;
        if (target.Session is null)
        {
            return; // counts as lost at its timeout: we cannot probe this target, so it is not reachable
        }

        // With BatchSends, queued: every probe due in this iteration leaves at FlushSends, one
        // sendmmsg per shared socket (STAMP), stamped just before it. Otherwise sent now (UDP and
        // raw sockets complete synchronously). A refused send is counted by its session and
        // recorded as a loss by the timeout.
        _round.Sent++;
        if (_options.BatchSends)
        {
            target.Session.QueueSend(sequence);
            return;
        }

        var pending = target.Session.SendAsync(sequence, CancellationToken.None);
        if (!pending.IsCompleted)
        {
            pending.AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Sends the probes this iteration queued: one system call per shared socket instead of one
    /// per probe (each costs several µs on a PVM guest like the benchmark machine: docs/performance.md,
    /// bar 1). Runs even when the iteration threw, so no queued probe waits for the next one.
    /// </summary>
    private void FlushSends()
    {
        foreach (var factory in _factories.Values)
        {
            factory.FlushSends();
        }
    }

    private void OpenSession(TargetState target, TimeSpan now)
    {
        var path = target.Path;
        var protocol = path.Definition.Probe;
        var remote = target.Remote;
        IProbeSession? session = null;
        string? failure = $"no {protocol} probe support";
        if (!_factories.TryGetValue(protocol, out var factory) ||
            !TryCreate(factory, target, remote, out session, out failure))
        {
            if (protocol == ProbeProtocol.Icmp && _factories.TryGetValue(ProbeProtocol.Stamp, out var stamp))
            {
                // No raw sockets here: fall back to STAMP on the well-known port, and say so once.
                if (!_icmpFallbackLogged)
                {
                    _icmpFallbackLogged = true;
                    LogIcmpFallback(_logger, path.Definition.Id, failure ?? "unavailable");
                }

                var stampRemote = new IPEndPoint(remote.Address, PathDefinition.DefaultStampPort);
                if (TryCreate(stamp, target, stampRemote, out session, out failure))
                {
                    target.Session = session;
                    return;
                }
            }

            target.RetrySessionAt = now + _options.SessionRetry;
            if (target.LastFailure != failure)
            {
                target.LastFailure = failure;
                LogSessionFailed(_logger, path.Definition.Id, remote.ToString(), failure ?? "unknown");
            }

            return;
        }

        target.Session = session;
        target.LastFailure = null;
    }

    private bool TryCreate(IProbeSessionFactory factory, TargetState target, IPEndPoint remote, out IProbeSession? session, out string? failure)
    {
        var link = target.Path.Link;
        var source = IPAddress.TryParse(link?.SourceAddress, out var parsed) ? parsed : null;
        var probeTarget = new ProbeTarget(target.Path.Definition.Id, target.Index, remote, source, link?.Interface);
        var writer = _replies.Writer;
        var onReply = (ProbeReply r) =>
        {
            if (!writer.TryWrite(new Reply(target, r.Sequence, r.RoundTrip)))
            {
                Interlocked.Increment(ref _droppedReplies);
            }
        };
        return factory.TryCreate(probeTarget, onReply, out session, out failure);
    }

    private void EvaluateDirty(DateTimeOffset wall)
    {
        if (_dirty.Count == 0)
        {
            return;
        }

        foreach (var path in _dirty)
        {
            if (path.Disposed)
            {
                continue;
            }

            var views = new TargetView[path.Targets.Length];
            for (var i = 0; i < views.Length; i++)
            {
                var t = path.Targets[i];
                var m = t.Window.Measure();
                views[i] = new TargetView(m, m is { Answered: > 0 } && !t.ConfirmedDown);
            }

            _round.PathsEvaluated++;
            var snapshot = PathEvaluation.Evaluate(path.Definition.Id, views, path.Definition.Quorum, path.Definition.EffectiveThresholds, wall);
            if (_passive is not null)
            {
                snapshot = PassiveLossRule.Apply(snapshot, _passive.Passive(path.Definition.Id), path.Definition.EffectiveThresholds, _options.PassiveMinPackets);
            }

            snapshot = PathLivenessRule.Apply(snapshot, _liveness?.Liveness(path.Definition.Id));
            var previous = path.Last;
            if (previous is not null && snapshot with { LastChecked = previous.LastChecked } == previous)
            {
                continue; // nothing changed
            }

            path.Last = snapshot;
            _round.PathsChanged++;
            _state.Publish(snapshot, notify: false);
            if (previous?.Status != snapshot.Status && snapshot.LastChecked is not null)
            {
                _transitions.Add((previous?.LastChecked is null ? null : previous.Status, snapshot));
                _sink.Transition(previous?.LastChecked is null ? null : previous, snapshot);
                _metrics?.StatusChanged(previous?.LastChecked is null ? null : previous.Status, snapshot.Status);
            }
        }

        _dirty.Clear();
        LogTransitions();
        if (_round.PathsChanged > 0)
        {
            _state.Changed.Notify(); // once for the batch
        }
    }

    /// <summary>
    /// One line per status change, unless a pass changed more than <see cref="TransitionLinesPerPass"/>
    /// paths: then one line per kind of change (from → to) with the count and a few of the paths.
    /// 10,000 paths measured for the first time, or a link's failure seen by thousands of paths at
    /// once, is one event to a reader, and 10,000 lines cost the loop that writes them (issue 14).
    /// The metrics and the sink still see every path.
    /// </summary>
    private void LogTransitions()
    {
        if (_transitions.Count == 0)
        {
            return;
        }

        if (!_logger.IsEnabled(LogLevel.Information))
        {
            _transitions.Clear();
            return;
        }

        if (_transitions.Count <= TransitionLinesPerPass)
        {
            foreach (var (from, snapshot) in _transitions)
            {
                var before = from?.ToString() ?? FirstMeasurement;
                LogTransition(_logger, snapshot.PathId, before, snapshot.Status, snapshot.HealthScore, snapshot.Reason);
            }
        }
        else
        {
            foreach (var group in TransitionSummary.Group(_transitions, TransitionExamples))
            {
                var before = group.From?.ToString() ?? FirstMeasurement;
                LogTransitionSummary(_logger, group.Count, before, group.To, group.Examples, group.FirstReason);
            }
        }

        _transitions.Clear();
    }

    private void RecordSamples(DateTimeOffset wall)
    {
        foreach (var path in _paths.Values)
        {
            if (path.Last is { LastChecked: not null } last)
            {
                _sink.Sample(last.ToSample(wall));
            }
        }
    }

    private void Reschedule(TargetState target, TimeSpan due)
    {
        target.ScheduledTicks = due.Ticks;
        _due.Enqueue(target, due.Ticks);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct Reply(TargetState Target, uint Sequence, TimeSpan RoundTrip);
}
