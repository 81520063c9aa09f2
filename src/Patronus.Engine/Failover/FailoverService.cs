using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Persistence;
using Patronus.Engine.Routing;
using Patronus.Engine.Routing.Kernel;
using Patronus.Engine.Telemetry;

namespace Patronus.Engine.Failover;

/// <summary>
/// The one loop that owns every policy's state. It wakes on events — a path's health changed, a
/// BFD session changed state, the policies or the topology changed — and on the one timer the
/// decisions ask for (failback due, dampening hold over, route retry); it decides each policy with
/// <see cref="FailoverDecision"/>, publishes the route table (an immutable snapshot swapped at
/// once) and brings the kernel's routes in line, and hands events to the recorder. Nothing polls.
/// </summary>
public sealed partial class FailoverService : BackgroundService, Loops.IEngineLoop
{
    private readonly FailoverPolicyService _policies;
    private readonly TopologyService _topology;
    private readonly HealthState _health;
    private readonly BfdService? _bfd;
    private readonly FailoverEventRecorder _recorder;
    private readonly FailoverMetrics _metrics;
    private readonly FailoverOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FailoverService> _logger;
    private readonly KernelRouteApplier? _kernel;
    private readonly Dictionary<long, PolicyRuntime> _states = [];
    private readonly Lock _subscribersLock = new();
    private Channel<FailoverEvent>[] _subscribers = [];
    private ImmutableDictionary<long, FailoverPolicyStatus> _status = ImmutableDictionary<long, FailoverPolicyStatus>.Empty;
    private IReadOnlyDictionary<IPNetwork, RouteEntry> _installed = ImmutableDictionary<IPNetwork, RouteEntry>.Empty;
    private DateTimeOffset? _routeRetryAt;
    private bool _routesDirty = true;
    private bool _kernelPending = true; // the first sync also sweeps routes an earlier run left (KernelRouteApplier)
    private long _lastTick;

    public FailoverService(FailoverPolicyService policies, TopologyService topology, HealthState health, FailoverEventRecorder recorder,
        FailoverMetrics metrics, IOptions<FailoverOptions> options, TimeProvider time, ILogger<FailoverService> logger,
        BfdService? bfd = null, KernelRouteApplier? kernel = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _policies = policies;
        _topology = topology;
        _health = health;
        _recorder = recorder;
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _bfd = bfd;
        _kernel = kernel;
    }

    /// <summary>The routing snapshot: the routes the policies want, swapped whole.</summary>
    public RouteTableHolder Routes { get; } = new();

    /// <summary>The routes the kernel has confirmed (empty when kernel routes are off).</summary>
    public IReadOnlyDictionary<IPNetwork, RouteEntry> InstalledRoutes => Volatile.Read(ref _installed);

    /// <summary>Each policy's active path and state, by policy id.</summary>
    public IReadOnlyDictionary<long, FailoverPolicyStatus> Status => Volatile.Read(ref _status);

    /// <summary>When the loop last ran (a <see cref="TimeProvider"/> timestamp), for readiness.</summary>
    public long LastTick => Volatile.Read(ref _lastTick);

    /// <inheritdoc />
    public string LoopName => "failover";

    /// <summary>Every failover event from now on, as it is decided (bounded, drop-oldest per reader).</summary>
    public ChannelReader<FailoverEvent> Subscribe()
    {
        var channel = Channel.CreateBounded<FailoverEvent>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, channel];
        }

        return channel.Reader;
    }

    /// <summary>Like <see cref="Subscribe()"/>, for a reader that goes away (an API subscription): cancelling the token unsubscribes and completes the reader.</summary>
    public ChannelReader<FailoverEvent> Subscribe(CancellationToken cancellationToken)
    {
        var reader = Subscribe();
        cancellationToken.Register(() =>
        {
            Channel<FailoverEvent>[] removed;
            lock (_subscribersLock)
            {
                removed = [.. _subscribers.Where(c => c.Reader == reader)];
                _subscribers = [.. _subscribers.Where(c => c.Reader != reader)];
            }

            foreach (var channel in removed)
            {
                channel.Writer.TryComplete();
            }
        });
        return reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var health = _health.Subscribe(stoppingToken);
        var bfd = _bfd?.Subscribe();
        var policiesChanged = _policies.Changed;
        var topologyChanged = _topology.Changed;
        SyncPolicies(_time.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = _time.GetUtcNow();
                if (policiesChanged.IsCompleted || topologyChanged.IsCompleted)
                {
                    policiesChanged = _policies.Changed;
                    topologyChanged = _topology.Changed;
                    SyncPolicies(now);
                }

                // Coalesce: everything queued is one evaluation.
                while (health.TryRead(out _))
                {
                }

                while (bfd is not null && bfd.TryRead(out _))
                {
                }

                var wake = Evaluate(now);
                // Without a timer due, wake at the heartbeat anyway: readiness reads LastTick.
                var wait = wake is { } at && at - now < Loops.IEngineLoop.Heartbeat ? at - now : Loops.IEngineLoop.Heartbeat;
                if (wait <= TimeSpan.Zero)
                {
                    continue;
                }

                using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var waits = new List<Task>(5)
                {
                    health.WaitToReadAsync(cts.Token).AsTask(),
                    policiesChanged,
                    topologyChanged,
                    Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), _time, cts.Token),
                };
                if (bfd is not null)
                {
                    waits.Add(bfd.WaitToReadAsync(cts.Token).AsTask());
                }

                await Task.WhenAny(waits).ConfigureAwait(false);
                await cts.CancelAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // one bad evaluation must not stop failover
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One evaluation of every policy at <paramref name="now"/>; returns when to wake next without new input. Tests drive the service through it.</summary>
    internal DateTimeOffset? Evaluate(DateTimeOffset now)
    {
        Volatile.Write(ref _lastTick, _time.GetTimestamp());
        var inputs = Inputs();
        DateTimeOffset? wake = null;
        foreach (var runtime in _states.Values)
        {
            var started = _time.GetTimestamp();
            var outcome = FailoverDecision.Decide(runtime.Policy, runtime.State, inputs, now, _options.Dampening);
            _metrics.Decided(_time.GetElapsedTime(started));
            if (outcome.Event is { } e)
            {
                Emit(e, runtime.Policy, inputs);
                if (e.Type is FailoverEventType.FailoverTriggered or FailoverEventType.FailbackCompleted)
                {
                    runtime.LastSwitch = now;
                }
            }

            _routesDirty |= runtime.State.ActivePathId != outcome.State.ActivePathId;
            runtime.State = outcome.State;
            wake = Min(wake, outcome.WakeAt);
        }

        PublishStatus();
        wake = Min(wake, ApplyRoutes(now));
        return wake;
    }

    /// <summary>Tests: bring the policy states in line with the current policies now.</summary>
    internal void SyncPoliciesForTest(DateTimeOffset now) => SyncPolicies(now);

    /// <summary>Follows the policies: new ones start on their primary, removed ones go, changed ones keep their state when their paths are the same.</summary>
    private void SyncPolicies(DateTimeOffset now)
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
                _states[policy.Id] = new PolicyRuntime(policy, FailoverPolicyState.Initial(policy));
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
                    policy.Enabled ? "enabled: decisions resume" : $"disabled: prefixes go to the primary {policy.PrimaryPathId}", now), policy, Inputs());
            }
        }

        _routesDirty = true; // policies or links changed: the routes may differ
        _routeRetryAt = null;
    }

    /// <summary>What failover knows about every path: its health score and whether BFD says it is down.</summary>
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

                var h = _health.Get(id);
                // A session that has not been Up yet, or is AdminDown, gives no opinion (BfdSessionView.HealthScore).
                bool? bfdDown = _bfd is not null && _bfd.Sessions.TryGetValue(id, out var session) && session.HealthScore is not null
                    ? session.IsDown
                    : null;
                inputs[id] = new FailoverPathInput(id, h?.HealthScore ?? 0, bfdDown, h?.LastChecked is not null);
            }
        }

        return inputs;
    }

    private void Emit(FailoverEvent e, FailoverPolicy policy, Dictionary<string, FailoverPathInput> inputs)
    {
        using var span = PatronusActivitySources.StartFailoverDecision(e, policy.Name); // covers the hand-off: log, record, notify
        _metrics.Event(e);
        LogEvent(_logger, policy.Name, e.Type, e.FromPathId, e.ToPathId, e.Reason);
        var details = JsonSerializer.Serialize(policy.AllPaths.Distinct().ToDictionary(id => id, id => inputs.TryGetValue(id, out var i)
            ? new { score = Math.Round(i.Score, 3), bfd_down = i.BfdDown, measured = i.Measured }
            : new { score = 0.0, bfd_down = (bool?)null, measured = false }));
        _recorder.Enqueue(new FailoverEventRecord(e, details));
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Writer.TryWrite(e);
        }
    }

    private void PublishStatus()
    {
        var builder = ImmutableDictionary.CreateBuilder<long, FailoverPolicyStatus>();
        foreach (var (id, r) in _states)
        {
            builder[id] = new FailoverPolicyStatus(id, r.Policy.Name, r.State.ActivePathId, r.Policy.Enabled, r.State, r.LastSwitch);
        }

        Volatile.Write(ref _status, builder.ToImmutable());
    }

    /// <summary>
    /// Publishes the route table the active paths imply (only when an active path, a policy or the
    /// topology changed) and brings the kernel in line; returns the retry time after a failure.
    /// </summary>
    private DateTimeOffset? ApplyRoutes(DateTimeOffset now)
    {
        if (_routesDirty)
        {
            _routesDirty = false;
            var topology = _topology.Current;
            var routes = new List<RouteEntry>();
            foreach (var r in _states.Values)
            {
                if (!topology.PathsById.TryGetValue(r.State.ActivePathId, out var path) || !topology.LinksById.TryGetValue(path.LinkId, out var link))
                {
                    continue;
                }

                var gateway = IPAddress.TryParse(link.Gateway, out var g) ? g : null;
                routes.AddRange(r.Policy.Prefixes.Select(prefix =>
                    new RouteEntry(prefix, r.Policy.Id.ToString(CultureInfo.InvariantCulture), path.Id, link.Id, gateway, link.Interface)));
            }

            if (!SameRoutes(Routes.Current, routes))
            {
                var started = _time.GetTimestamp();
                Routes.Swap(new RouteTable(routes));
                _metrics.RouteTableSwapped(_time.GetElapsedTime(started));
                _kernelPending = true;
            }
        }

        if (_kernel is null || !_kernelPending)
        {
            return null;
        }

        if (_routeRetryAt is { } retry && now < retry)
        {
            return retry;
        }

        var failures = _kernel.Sync(Routes.Current);
        Volatile.Write(ref _installed, _kernel.Installed.ToImmutableDictionary());
        if (failures.Count == 0)
        {
            _kernelPending = false;
            _routeRetryAt = null;
            foreach (var runtime in _states.Values)
            {
                runtime.LastRouteError = null;
            }

            return null;
        }

        foreach (var (route, error) in failures)
        {
            var policyId = long.Parse(route.PolicyId, CultureInfo.InvariantCulture);
            if (_states.TryGetValue(policyId, out var runtime) && runtime.LastRouteError != error)
            {
                runtime.LastRouteError = error;
                Emit(new FailoverEvent(policyId, FailoverEventType.RouteApplyFailed, null, route.PathId, error, now), runtime.Policy, Inputs());
            }
        }

        _routeRetryAt = now + _options.RouteRetry;
        return _routeRetryAt;
    }

    private static bool SameRoutes(RouteTable table, List<RouteEntry> routes) =>
        table.Count == routes.Count && table.Routes.ToHashSet().SetEquals(routes);

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private sealed class PolicyRuntime(FailoverPolicy policy, FailoverPolicyState state)
    {
        public FailoverPolicy Policy { get; set; } = policy;

        public FailoverPolicyState State { get; set; } = state;

        public DateTimeOffset? LastSwitch { get; set; }

        public string? LastRouteError { get; set; }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "Failover loop iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Failover policy {Policy}: {Type} {From} -> {To}: {Reason}")]
    private static partial void LogEvent(ILogger logger, string policy, FailoverEventType type, string? from, string? to, string reason);
}

/// <summary>A policy's state as readers see it.</summary>
public sealed record FailoverPolicyStatus(long PolicyId, string Name, string ActivePathId, bool Enabled, FailoverPolicyState State, DateTimeOffset? LastSwitch);
