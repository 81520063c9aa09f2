using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Health;
using Patronus.Engine.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Bfd;

/// <summary>
/// Runs the BFD sessions of every path that has one (RFC 5880 asynchronous mode over RFC 5881 /
/// 5883 UDP). One loop owns all session state: received packets (from the listeners' receive
/// loops), operator commands and topology changes arrive through channels, and one priority queue
/// of deadlines (transmit, detection, auth sequence reset, socket retry) drives the timers.
/// Readers see <see cref="Sessions"/>, immutable views swapped on every change; state changes go
/// to every <see cref="Subscribe"/>r at once (path health, failover) — no polling anywhere.
/// </summary>
public sealed partial class BfdService : BackgroundService, IPathLivenessSource, Loops.IEngineLoop
{
    // Received packets waiting for the loop: 8,192 is ~0.2 s of 1,000 sessions at 50 ms. Beyond it
    // the loop is behind, and a packet dropped here is no worse than one lost on the wire (counted).
    private const int InboundCapacity = 8192;

    // A subscriber that stops reading loses the oldest events, never blocks the loop. State changes
    // are rare (a flapping session changes a few times a second); 1,024 is minutes of flapping.
    private const int SubscriberCapacity = 1024;

    /// <summary>How long a session whose socket could not be opened waits before trying again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly TopologyService _topology;
    private readonly TimeProvider _time;
    private readonly BfdMetrics _metrics;
    private readonly ILogger<BfdService> _logger;
    private readonly Random _random;
    private readonly Channel<BfdInbound> _inbound = Channel.CreateBounded<BfdInbound>(
        new BoundedChannelOptions(InboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<(string PathId, bool AdminDown)> _commands = Channel.CreateUnbounded<(string, bool)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Session> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, Session> _byDiscriminator = [];
    private readonly Dictionary<(BfdAddress Peer, BfdAddress Local, bool Multihop), Session> _byAddress = [];
    private readonly SharedSocketPool<(BfdAddress Local, bool Multihop), BfdListener> _listeners = new();
    private readonly Dictionary<string, bool> _adminOverrides = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Session, long> _due = new();
    private readonly byte[] _transmitBuffer = new byte[64];
    private readonly Lock _subscribersLock = new();
    private Channel<BfdSessionEvent>[] _subscribers = [];
    private ImmutableDictionary<string, BfdSessionView> _views = ImmutableDictionary.Create<string, BfdSessionView>(StringComparer.Ordinal);
    private Task<bool>? _inboundWait;
    private Task<bool>? _commandWait;
    private long _lastTick;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BfdService(TopologyService topology, BfdMetrics metrics, TimeProvider time, ILogger<BfdService> logger, Random? random = null)
    {
        _topology = topology;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared;
        metrics.Observe(() => Sessions);
    }

    /// <summary>Every path's session, by path id.</summary>
    public IReadOnlyDictionary<string, BfdSessionView> Sessions => Volatile.Read(ref _views);

    /// <inheritdoc/>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>
    /// Path health's view of BFD (seed 003): Up caps nothing (100), Init caps at 50, Down at 0;
    /// AdminDown, or a session that could not start, gives no opinion (the probes judge alone).
    /// </summary>
    public PathLiveness? Liveness(string pathId) =>
        Sessions.TryGetValue(pathId, out var s) && s.State is { } state && s.HealthScore is { } score
            ? new PathLiveness(score, $"BFD {BfdNames.State(state.SessionState)}{(state.SessionState == BfdState.Up ? "" : $" ({BfdNames.Diagnostic(state.LocalDiag)})")}")
            : null;

    /// <summary>When the loop last ran (a <see cref="TimeProvider"/> timestamp), for readiness.</summary>
    public long LastTick => Volatile.Read(ref _lastTick);

    /// <inheritdoc />
    public string LoopName => "bfd";

    /// <summary>
    /// A new reader of every state change from now on. Bounded: a reader that falls behind loses
    /// the oldest events (the current state is always in <see cref="Sessions"/>).
    /// </summary>
    public ChannelReader<BfdSessionEvent> Subscribe()
    {
        var channel = Channel.CreateBounded<BfdSessionEvent>(
            new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, channel];
        }

        return channel.Reader;
    }

    /// <summary>
    /// Holds a path's session AdminDown (or releases it) at run time, whatever its source; not
    /// persisted. False when the path has no BFD session.
    /// </summary>
    public bool SetAdminDownOverride(string pathId, bool adminDown)
    {
        if (!Sessions.ContainsKey(pathId))
        {
            return false;
        }

        _commands.Writer.TryWrite((pathId, adminDown));
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var topologyChanged = _topology.Changed;
        ApplyTopology(_topology.Current, _time.GetTimestamp());
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (topologyChanged.IsCompleted)
                    {
                        topologyChanged = _topology.Changed;
                        ApplyTopology(_topology.Current, _time.GetTimestamp());
                    }

                    var now = _time.GetTimestamp();
                    Iterate(now);
                    await WaitAsync(now, topologyChanged, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // one bad iteration must not stop BFD
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogLoopError(_logger, ex);
                    await Task.Delay(TimeSpan.FromMilliseconds(10), _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One pass at <paramref name="now"/>: commands, received packets, due timers. Tests drive the service through it.</summary>
    internal void Iterate(long now)
    {
        Volatile.Write(ref _lastTick, now);
        while (_commands.Reader.TryRead(out var command))
        {
            ApplyAdminOverride(command.PathId, command.AdminDown, now);
        }

        ProcessInbound();
        while (_due.TryPeek(out var session, out var at) && at <= now)
        {
            _due.Dequeue();
            if (session.ScheduledAt != at || session.Closed)
            {
                continue; // superseded by a later schedule
            }

            session.ScheduledAt = long.MaxValue;

            // Before a detection time expires, read what the kernel already holds for this
            // session's address: after a stall the peer's packets may be queued but unread.
            if (session.Core?.DetectionDeadline <= now && session.Listener is { } listener && listener.Drain() > 0)
            {
                ProcessInbound();
            }

            OnDue(session, now);
        }
    }

    private void ProcessInbound()
    {
        while (_inbound.Reader.TryRead(out var packet))
        {
            try
            {
                OnPacket(packet);
            }
            finally
            {
                packet.Release();
            }
        }
    }

    /// <summary>Tests: hold (or release) every listener's receive loop, as a starved thread pool would.</summary>
    internal void PauseListenersForTest(bool paused)
    {
        foreach (var listener in _listeners.Sockets)
        {
            listener.PausedForTest = paused;
        }
    }

    /// <summary>Tests: apply a topology synchronously, as the loop does when it changes.</summary>
    internal void ApplyTopologyForTest(TopologySnapshot topology, long now) => ApplyTopology(topology, now);

    /// <summary>Tests: deliver a datagram as a listener would.</summary>
    internal void DeliverForTest(BfdInbound packet) => Enqueue(packet);

    private void Enqueue(BfdInbound packet)
    {
        if (!_inbound.Writer.TryWrite(packet))
        {
            packet.Release();
            _metrics.Dropped("queue_full");
        }
    }

    private async Task WaitAsync(long now, Task topologyChanged, CancellationToken ct)
    {
        if (_inbound.Reader.TryPeek(out _) || _commands.Reader.TryPeek(out _))
        {
            return;
        }

        // Without a timer due, wake at the heartbeat anyway: readiness reads LastTick.
        var wait = Loops.IEngineLoop.Heartbeat;
        if (_due.TryPeek(out _, out var at) && _time.GetElapsedTime(now, at) < wait)
        {
            var left = _time.GetElapsedTime(now, at);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            // Timers count whole milliseconds and may fire early by up to one: round up so the
            // loop does not spin until the deadline.
            wait = TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds));
        }

        // One wait per channel lives across iterations (cancelling a channel wait would throw).
        if (_inboundWait is not { IsCompleted: false })
        {
            _inboundWait = _inbound.Reader.WaitToReadAsync(ct).AsTask();
        }

        if (_commandWait is not { IsCompleted: false })
        {
            _commandWait = _commands.Reader.WaitToReadAsync(ct).AsTask();
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(wait, _time, cts.Token);
        await Task.WhenAny(delay, _inboundWait, _commandWait, topologyChanged).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private void Publish(Session session, BfdStateChange change)
    {
        _metrics.StateChanged(change.NewState);
        var at = _time.GetUtcNow() - _time.GetElapsedTime(change.Timestamp);
        session.LastChange = at;
        session.LastChangeReason = change.Reason;
        session.EverUp |= change.NewState == BfdState.Up;
        LogStateChange(_logger, session.PathId, change.OldState, change.NewState, change.Diagnostic, change.Reason);
        var view = RefreshView(session, force: true);
        var e = new BfdSessionEvent(session.PathId, change, at, view);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Writer.TryWrite(e);
        }

        Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private async Task ShutdownAsync()
    {
        // Tell every peer we are going away on purpose (§6.8.16): AdminDown is not a path failure.
        var now = _time.GetTimestamp();
        foreach (var session in _byPath.Values.ToList())
        {
            CloseSession(session, now, sayGoodbye: true);
        }

        await _listeners.DisposeAsync().ConfigureAwait(false);
        _inbound.Writer.TryComplete();
        while (_inbound.Reader.TryRead(out var packet))
        {
            packet.Release();
        }
    }
}
