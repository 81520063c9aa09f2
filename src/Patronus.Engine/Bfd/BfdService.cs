using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Bfd;

/// <summary>
/// Runs the BFD sessions of every path that has one (RFC 5880 asynchronous mode over RFC 5881 /
/// 5883 UDP). One loop owns all session state: received packets (from the listeners' receive
/// loops), operator commands and topology changes arrive through channels, and one priority queue
/// of deadlines (transmit, detection, auth sequence reset, socket retry) drives the timers.
/// Readers see <see cref="Sessions"/>, immutable views swapped on every change, and
/// <see cref="Changed"/> fires on every state change: path health follows it (and failover learns
/// BFD's opinion from path health, once); <see cref="Subscribe"/> streams every state change —
/// no polling anywhere.
/// </summary>
public sealed partial class BfdService : EngineLoop, IPathLivenessSource
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
    private readonly Broadcast<BfdSessionEvent> _events = new(SubscriberCapacity);
    private ImmutableDictionary<string, BfdSessionView> _views = ImmutableDictionary.Create<string, BfdSessionView>(StringComparer.Ordinal);
    private ChangeWatch? _topologyChanges;

    public BfdService(TopologyService topology, BfdMetrics metrics, TimeProvider time, ILogger<BfdService> logger, Random? random = null)
        : base(time)
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

    /// <summary>Notified at every session state change (after <see cref="Sessions"/> shows it).</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>
    /// Path health's view of BFD (seed 003): Up caps nothing (100), Init caps at 50, Down at 0;
    /// AdminDown here or at the peer, a session not yet Up, or one that could not start, gives no
    /// opinion (the probes judge alone; <see cref="BfdEvidence"/>).
    /// </summary>
    public PathLiveness? Liveness(string pathId) =>
        Sessions.TryGetValue(pathId, out var s) && s.State is { } state && s.HealthScore is { } score
            ? new PathLiveness(score, $"BFD {BfdNames.State(state.SessionState)}{(state.SessionState == BfdState.Up ? "" : $" ({BfdNames.Diagnostic(state.LocalDiag)})")}")
            : null;

    /// <inheritdoc />
    public override string LoopName => "bfd";

    /// <summary>Short: a BFD loop that pauses longer than a detection time fails sessions.</summary>
    protected override TimeSpan RetryAfterError => TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// A new reader of every state change from now on. Bounded: a reader that falls behind loses
    /// the oldest events (the current state is always in <see cref="Sessions"/>).
    /// </summary>
    public ChannelReader<BfdSessionEvent> Subscribe(CancellationToken cancellationToken = default) => _events.Subscribe(cancellationToken);

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

    protected override ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
    {
        // The first iteration opens the sessions of the topology the loop starts with.
        _topologyChanges = _topology.Changed.Watch(changedAtFirst: true);
        WakeOn(_topologyChanges);
        WakeOn(_inbound.Reader);
        WakeOn(_commands.Reader);
        return ValueTask.FromResult(true);
    }

    protected override ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
    {
        if (_topologyChanges!.Consume())
        {
            ApplyTopology(_topology.Current, _time.GetTimestamp());
        }

        var now = _time.GetTimestamp();
        Iterate(now);
        return ValueTask.FromResult(_due.TryPeek(out _, out var at) ? _time.GetElapsedTime(now, at) : (TimeSpan?)null);
    }

    protected override void LogIterationFailed(Exception exception) => LogLoopError(_logger, exception);

    protected override ValueTask StoppedAsync() => new(ShutdownAsync());

    /// <summary>One pass at <paramref name="now"/>: commands, received packets, due timers. Tests drive the service through it.</summary>
    internal void Iterate(long now)
    {
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

    private void Publish(Session session, BfdStateChange change)
    {
        _metrics.StateChanged(change.NewState);
        var at = _time.GetUtcNow() - _time.GetElapsedTime(change.Timestamp);
        session.LastChange = at;
        session.LastChangeReason = change.Reason;
        session.Counts = BfdEvidence.CountsAfter(session.Counts, change);
        LogStateChange(_logger, session.PathId, change.OldState, change.NewState, change.Diagnostic, change.Reason);
        var view = RefreshView(session, force: true);
        _events.Publish(new BfdSessionEvent(session.PathId, change, at, view));
        Changed.Notify();
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
