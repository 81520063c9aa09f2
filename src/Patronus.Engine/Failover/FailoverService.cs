using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Routing;
using Patronus.Engine.Telemetry;

namespace Patronus.Engine.Failover;

/// <summary>
/// The one loop that owns every policy's state. It wakes on changes — of the paths' health (which
/// carries what BFD says), of the policies, of the topology — and on the one timer the decisions
/// ask for (failback due, dampening hold over, route retry); it decides each policy with
/// <see cref="FailoverDecision"/>, publishes the route table (an immutable snapshot swapped at
/// once) and brings the kernel's routes in line, and hands events to the recorder. Nothing polls.
/// Failback delays, dampening and route retries run on monotonic time (<see cref="LoopTime"/>);
/// the wall clock only stamps events and the times the API shows.
/// On several controllers (docs/ha.md) every instance decides — a follower's policy states stay warm
/// from its own probes — but only the leader touches the kernel's routes: a follower keeps its
/// planned table to itself, and on becoming leader brings the kernel in line with it at once.
/// </summary>
public sealed partial class FailoverService : EngineLoop
{
    // A subscriber that stops reading loses the oldest events, never a decision's time. Switches
    // are rare and dampened; 1,024 events is hours of the worst flapping of many policies.
    private const int SubscriberCapacity = 1024;

    private readonly FailoverPolicyService _policies;
    private readonly TopologyService _topology;
    private readonly HealthState _health;
    private readonly FailoverEventRecorder _recorder;
    private readonly FailoverMetrics _metrics;
    private readonly FailoverOptions _options;
    private readonly ILogger<FailoverService> _logger;
    private readonly IRouteApplier? _kernel;
    private readonly Tunnels.Sdwan.TrafficClassifier? _classes;
    private ClassRouteTables _classRoutes = ClassRouteTables.Empty;
    private readonly CarriedPrefixes _carried;
    private Dictionary<long, FailoverEventRecord> _resume = [];
    private readonly HashSet<IPNetwork> _carriedLogged = [];
    private RouteTable _kernelRoutes = new([]);
    private readonly Cluster.ILeadership? _leadership;
    private ChangeWatch? _leadershipChanges;
    private readonly Dictionary<long, PolicyRuntime> _states = [];
    private readonly Broadcast<FailoverEvent> _events = new(SubscriberCapacity);
    private ImmutableDictionary<long, FailoverPolicyStatus> _status = ImmutableDictionary<long, FailoverPolicyStatus>.Empty;
    private IReadOnlyDictionary<IPNetwork, RouteEntry> _installed = ImmutableDictionary<IPNetwork, RouteEntry>.Empty;
    private ChangeWatch? _policyChanges;
    private ChangeWatch? _topologyChanges;
    private ChangeWatch? _healthChanges;
    private TimeSpan? _routeRetryAt;
    private bool _routesDirty = true;
    private bool _kernelPending = true; // the first sync also sweeps routes an earlier run left (KernelRouteApplier)

    public FailoverService(FailoverPolicyService policies, TopologyService topology, HealthState health, FailoverEventRecorder recorder,
        FailoverMetrics metrics, IOptions<FailoverOptions> options, TimeProvider time, ILogger<FailoverService> logger,
        IRouteApplier? kernel = null, Cluster.ILeadership? leadership = null, CarriedPrefixes? carried = null,
        Tunnels.Sdwan.TrafficClassifier? classes = null)
        : base(time)
    {
        _classes = classes;
        _carried = carried ?? CarriedPrefixes.None;
        ArgumentNullException.ThrowIfNull(options);
        _policies = policies;
        _topology = topology;
        _health = health;
        _recorder = recorder;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
        _kernel = kernel;
        _leadership = leadership;
    }

    /// <summary>The routing snapshot: the routes the policies want, swapped whole.</summary>
    public RouteTableHolder Routes { get; } = new();

    /// <summary>
    /// The class policies' routes, per traffic class (docs/tunnels.md, "Traffic classes"): the
    /// tunnels steer that class's packets by them; never given to the kernel. Swapped with
    /// <see cref="Routes"/>, whose <see cref="RouteTableHolder.Changed"/> tells of both.
    /// </summary>
    public ClassRouteTables ClassRoutes => Volatile.Read(ref _classRoutes);

    /// <summary>The routes the kernel has confirmed (empty when kernel routes are off).</summary>
    public IReadOnlyDictionary<IPNetwork, RouteEntry> InstalledRoutes => Volatile.Read(ref _installed);

    /// <summary>Each policy's active path and state, by policy id.</summary>
    public IReadOnlyDictionary<long, FailoverPolicyStatus> Status => Volatile.Read(ref _status);

    /// <summary>
    /// Fires when a policy's state in <see cref="Status"/> changed (its active path or failback
    /// hold-down), or a policy came or went — not at every evaluation. The cluster relay sends the
    /// leader's hold-downs on it (docs/ha.md).
    /// </summary>
    public ChangeSignal StatusChanged { get; } = new();

    /// <inheritdoc />
    public override string LoopName => "failover";

    /// <summary>
    /// Every failover event from now on, as it is decided (bounded, drop-oldest per reader).
    /// Cancelling <paramref name="cancellationToken"/> unsubscribes and completes the reader (an API subscription).
    /// </summary>
    public ChannelReader<FailoverEvent> Subscribe(CancellationToken cancellationToken = default) => _events.Subscribe(cancellationToken);

    protected override async ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
    {
        await ResumeFromStoreAsync(cancellationToken).ConfigureAwait(false);

        // The first iteration loads the policies, like every later change. Health is read as it is
        // at each evaluation: its signal only says that something changed.
        _policyChanges = _policies.Changed.Watch(changedAtFirst: true);
        _topologyChanges = _topology.Changed.Watch(changedAtFirst: true);
        _healthChanges = _health.Changed.Watch();
        WakeOn(_policyChanges);
        WakeOn(_topologyChanges);
        WakeOn(_healthChanges);
        WakeOn(_syncWaiters.Reader);
        if (_leadership is not null)
        {
            _leadershipChanges = _leadership.Changed.Watch();
            WakeOn(_leadershipChanges);
        }

        return true;
    }

    /// <summary>
    /// Reads, for every policy known now, the active path the store last recorded (the newest
    /// failover, failback or disable event), for the first <see cref="SyncPolicies"/> to start from.
    /// Without it a restarted process — or a controller taking over as leader in a cluster — starts
    /// every policy on its primary and, with the primary still down, records "triggered primary →
    /// backup" a second time (the HA lab saw it after a rolling restart) and resets the failback
    /// hold-down. A store that cannot answer leaves the policies to start on their primaries, logged.
    /// </summary>
    internal async Task ResumeFromStoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            _resume = new(await _recorder.LastActivePathEventsAsync(_policies.Current.Select(p => p.Id), cancellationToken).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // the loop starts all the same, from the primaries
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogResumeFailed(_logger, ex);
        }
    }

    protected override ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
    {
        // Taken before the policies are looked at: a waiter's write is in what this iteration syncs.
        var synced = TakeSyncWaiters();
        try
        {
            // Re-armed before health is read: a change after the read wakes the loop again.
            _healthChanges!.Consume();
            if (_leadershipChanges?.Consume() == true)
            {
                // Elected: the kernel may hold anything (another leader's era, or nothing); sync it whole.
                _kernelPending = true;
                _routeRetryAt = null;
            }

            // Both, not either: each watch must be consumed to re-arm.
            var policies = _policyChanges!.Consume();
            if (_topologyChanges!.Consume() | policies)
            {
                SyncPolicies(Clock.Now);
            }

            return ValueTask.FromResult(Evaluate());
        }
        finally
        {
            // Also after a failed iteration: the writer must not wait out its timeout for nothing.
            ReleaseSyncWaiters(synced);
        }
    }

    protected override void LogIterationFailed(Exception exception) => LogLoopError(_logger, exception);

    /// <summary>One evaluation of every policy now; returns how long to sleep without new input (null: no timer due). Tests drive the service through it.</summary>
    internal TimeSpan? Evaluate()
    {
        var now = Clock.Now;
        var inputs = Inputs();
        TimeSpan? wake = null;
        foreach (var runtime in _states.Values)
        {
            var started = Time.GetTimestamp();
            var outcome = FailoverDecision.Decide(runtime.Policy, runtime.State, inputs, now, _options.Dampening, SlaOf(runtime.Policy));
            _metrics.Decided(Time.GetElapsedTime(started));
            if (outcome.Event is { } e)
            {
                Emit(e, runtime.Policy, inputs);
                if (e.Type is FailoverEventType.FailoverTriggered or FailoverEventType.FailbackCompleted)
                {
                    runtime.LastSwitch = now.Wall;
                }
            }

            _routesDirty |= runtime.State.ActivePathId != outcome.State.ActivePathId;
            runtime.State = outcome.State;
            wake = Min(wake, outcome.WakeAt);
        }

        PublishStatus(now);
        wake = Min(wake, ApplyRoutes(now));
        return wake is { } at ? LoopTime.Between(now.Elapsed, at) : null;
    }

    /// <summary>Tests: bring the policy states in line with the current policies now.</summary>
    internal void SyncPoliciesForTest() => SyncPolicies(Clock.Now);

    /// <summary>Follows the policies: new ones start on their primary, removed ones go, changed ones keep their state when their paths are the same.</summary>
    private void SyncPolicies(LoopTime now)
    {
        var current = _policies.Current.ToDictionary(p => p.Id);
        foreach (var id in _states.Keys.Where(id => !current.ContainsKey(id)).ToList())
        {
            _states.Remove(id);
        }

        foreach (var policy in current.Values)
        {
            if (!_states.TryGetValue(policy.Id, out var runtime))
            {
                _states[policy.Id] = Resumed(policy);
                _metrics.PolicyKnown(policy.Id);
                continue;
            }

            var old = runtime.Policy;
            runtime.Policy = policy;
            if (old.PrimaryPathId != policy.PrimaryPathId || !policy.AllPaths.Contains(runtime.State.ActivePathId))
            {
                runtime.State = FailoverPolicyState.Initial(policy);
            }

            if (old.Enabled != policy.Enabled)
            {
                Emit(new FailoverEvent(policy.Id, policy.Enabled ? FailoverEventType.PolicyEnabled : FailoverEventType.PolicyDisabled,
                    runtime.State.ActivePathId, policy.Enabled ? null : policy.PrimaryPathId,
                    policy.Enabled ? "enabled: decisions resume" : $"disabled: prefixes go to the primary {policy.PrimaryPathId}", now.Wall), policy, Inputs());
            }
        }

        _routesDirty = true; // policies or links changed: the routes may differ
        _routeRetryAt = null;
        _resume.Clear(); // only the policies of the start resume; one created later starts on its primary
    }

    /// <summary>A policy's state at its first load: on its primary, or on the backup the store last recorded it on (<see cref="ResumeFromStoreAsync"/>).</summary>
    private PolicyRuntime Resumed(FailoverPolicy policy)
    {
        var runtime = new PolicyRuntime(policy, FailoverPolicyState.Initial(policy));
        if (_resume.TryGetValue(policy.Id, out var last) && policy.Enabled && last.Event.ToPathId is { } path &&
            path != policy.PrimaryPathId && policy.AllPaths.Contains(path))
        {
            runtime.State = runtime.State with { ActivePathId = path };
            runtime.LastSwitch = last.Event.Timestamp;
            LogResumed(_logger, policy.Name, path, last.Event.Type, last.Event.Timestamp);
        }

        return runtime;
    }

    /// <summary>What failover knows about every path, from its health: the score (capped by BFD) and whether BFD says it is down.</summary>
    private Dictionary<string, FailoverPathInput> Inputs()
    {
        var inputs = new Dictionary<string, FailoverPathInput>(StringComparer.Ordinal);
        foreach (var runtime in _states.Values)
        {
            foreach (var id in runtime.Policy.AllPaths)
            {
                if (inputs.ContainsKey(id))
                {
                    continue;
                }

                // BFD reaches failover here only, through the path's health: a session that has not
                // been Up yet, or is AdminDown, gives no opinion (BfdSessionView.HealthScore).
                var h = _health.Get(id);
                inputs[id] = new FailoverPathInput(id, h?.HealthScore ?? 0, h?.Liveness?.Down, h?.LastChecked is not null)
                {
                    LatencyMs = h?.LatencyMs ?? 0,
                    LossPercent = h?.PacketLossPct ?? 0,
                    JitterMs = h?.JitterMs ?? 0,
                };
            }
        }

        return inputs;
    }

    /// <summary>
    /// A class policy's SLA: its class's, or no thresholds when the class is not configured (any
    /// path that answers is acceptable; validation keeps that from happening but for a class
    /// removed from the file while an API policy still names it). Null for a class-less policy.
    /// </summary>
    private Tunnels.Sdwan.TrafficSla? SlaOf(FailoverPolicy policy) => policy.Class is not { } name
        ? null
        : _classes?.Classes.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal))?.Sla ?? Tunnels.Sdwan.TrafficSla.None;

    private void Emit(FailoverEvent e, FailoverPolicy policy, Dictionary<string, FailoverPathInput> inputs)
    {
        using var span = PatronusActivitySources.StartFailoverDecision(e, policy.Name); // covers the hand-off: log, record, notify
        _metrics.Event(e);
        LogEvent(_logger, policy.Name, e.Type, e.FromPathId, e.ToPathId, e.Reason);
        var details = JsonSerializer.Serialize(policy.AllPaths.Distinct().ToDictionary(id => id, id => inputs.TryGetValue(id, out var i)
            ? new { score = Math.Round(i.Score, 3), bfd_down = i.BfdDown, measured = i.Measured }
            : new { score = 0.0, bfd_down = (bool?)null, measured = false }));
        _ = _recorder.Enqueue(new FailoverEventRecord(e, details));
        _events.Publish(e);
    }

    private void PublishStatus(LoopTime now)
    {
        var builder = ImmutableDictionary.CreateBuilder<long, FailoverPolicyStatus>();
        foreach (var (id, r) in _states)
        {
            builder[id] = new FailoverPolicyStatus(id, r.Policy.Name, r.State.ActivePathId, r.Policy.Enabled, r.State, r.LastSwitch,
                now.WallOf(r.State.PrimaryHealthySince), now.WallOf(r.State.HeldUntil));
        }

        var previous = Volatile.Read(ref _status);
        var next = builder.ToImmutable();
        Volatile.Write(ref _status, next);
        if (previous.Count != next.Count || next.Any(p => !previous.TryGetValue(p.Key, out var was) || was.State != p.Value.State))
        {
            StatusChanged.Notify();
        }
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private sealed class PolicyRuntime(FailoverPolicy policy, FailoverPolicyState state)
    {
        public FailoverPolicy Policy { get; set; } = policy;

        public FailoverPolicyState State { get; set; } = state;

        public DateTimeOffset? LastSwitch { get; set; }

        public string? LastRouteError { get; set; }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "Failover loop iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Failover policy {Policy} resumes on {Path}, where the store last recorded it ({Event} at {At:o}); failback, if due, starts its hold-down now")]
    private static partial void LogResumed(ILogger logger, string policy, string path, FailoverEventType @event, DateTimeOffset at);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Failover: could not read the last recorded active paths; every policy starts on its primary")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Failover policy {Policy}: {Prefix} is carried by {Carrier}, which follows the policy's active path; no kernel route is installed for it (it would leave the WAN link unencrypted)")]
    private static partial void LogCarried(ILogger logger, string policy, IPNetwork prefix, string carrier);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Failover policy {Policy}: {Type} {From} -> {To}: {Reason}")]
    private static partial void LogEvent(ILogger logger, string policy, FailoverEventType type, string? from, string? to, string reason);
}

/// <summary>A policy's state as readers see it, its times on the wall clock as it read when the status was published.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Name">Its name.</param>
/// <param name="ActivePathId">The path its prefixes use.</param>
/// <param name="Enabled">False: its prefixes go to the primary.</param>
/// <param name="State">The loop's state (times on the loop's monotonic clock).</param>
/// <param name="LastSwitch">When traffic last moved (failover or failback), or null.</param>
/// <param name="FailbackPendingSince">Since when the primary has been failback-healthy while a backup is active, or null.</param>
/// <param name="HeldUntil">Until when failbacks are held by flap dampening, or null.</param>
public sealed record FailoverPolicyStatus(
    long PolicyId,
    string Name,
    string ActivePathId,
    bool Enabled,
    FailoverPolicyState State,
    DateTimeOffset? LastSwitch,
    DateTimeOffset? FailbackPendingSince,
    DateTimeOffset? HeldUntil);
