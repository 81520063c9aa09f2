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
/// 5883 UDP). One thread of its own owns all session state (issue 14: not the thread pool, whose
/// queues a loaded process starves): it waits in one <c>epoll_wait</c> on every listener socket
/// and on its next deadline (transmit, detection, auth sequence reset, socket retry: one priority
/// queue), reads datagrams in batches (<c>recvmmsg</c>) with the kernel's receive timestamps, and
/// sends synchronously. Each pass receives before it expires: a Detection Time runs out only after
/// the session's socket was read empty, and every packet counts from when it arrived, not from
/// when it was read (<see cref="BfdArrival"/>). Operator commands and topology changes reach the
/// thread through a channel and a wake-up. Readers see <see cref="Sessions"/>, immutable views
/// swapped on every change, and <see cref="Changed"/> fires on every state change: path health
/// follows it (and failover learns BFD's opinion from path health, once); <see cref="Subscribe"/>
/// streams every state change — no polling anywhere. The <see cref="EngineLoop"/> part only
/// starts, supervises and stops that thread.
/// </summary>
public sealed partial class BfdService : EngineLoop, IEngineLoop, IPathLivenessSource
{
    // Datagrams injected by tests, waiting for the loop. Real datagrams never pass here.
    private const int InboundCapacity = 1024;

    // A subscriber that stops reading loses the oldest events, never blocks the loop. State changes
    // are rare (a flapping session changes a few times a second); 1,024 is minutes of flapping.
    private const int SubscriberCapacity = 1024;

    // Log lines waiting for the writer task (BfdService.LogQueue.cs): a storm of 1,000 sessions
    // flapping writes a few thousand lines a second; 65,536 is many seconds of it (~3 MB at most).
    private const int LogQueueCapacity = 65_536;

    // Datagrams per recvmmsg: one listener per local address hears from one peer, 20 a second at
    // 50 ms; 16 covers a 0.8 s backlog in one call, and a longer one takes a few.
    private const int ReceiveBatch = 16;

    // Events per epoll_wait: a wake-up after a stall finds up to every listener ready; the rest
    // are reported by the next wait (level-triggered).
    private const int EventBatch = 256;

    /// <summary>The shortest time between the starts of two loop passes (see <c>SpaceOut</c>); <see cref="BfdTiming.TransmitSlack"/> matches it.</summary>
    internal static readonly TimeSpan PassSpacing = TimeSpan.FromMicroseconds(BfdTiming.TransmitSlack);

    // A drain before an expiry reads at most this many batches: bounds the pass under a flood.
    private const int MaxDrainBatches = 64;

    /// <summary>
    /// Nice value asked for the loop's thread and then every thread of the process (setpriority;
    /// needs CAP_SYS_NICE, else it runs at the process's): -10, as routers raise BFD, so that
    /// CPU-bound work on the box (a build, a CPU hog) delays the loop — and the collections and
    /// JIT swaps that suspend it — by less than a Detection Time. serve sleeps between packets and
    /// uses a fraction of a core, so it cannot starve the rest.
    /// </summary>
    public const int LoopNice = -10;

    /// <summary>How long a session whose socket could not be opened waits before trying again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long the loop pauses after a pass threw: far below any Detection Time.</summary>
    private static readonly TimeSpan s_retryAfterError = TimeSpan.FromMilliseconds(10);

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
    private readonly Dictionary<ulong, BfdListener> _listenersById = [];
    private readonly Dictionary<string, bool> _adminOverrides = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Session, long> _due = new();
    private readonly byte[] _transmitBuffer = new byte[64];
    private readonly Broadcast<BfdSessionEvent> _events = new(SubscriberCapacity);
    private readonly LinuxEpoll? _epoll;
    private readonly string? _epollError;
    private readonly LinuxReceiveBatch? _batch;
    private readonly IoUringSendBatch<Session>? _sends;
    private readonly TaskCompletionSource _threadDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableDictionary<string, BfdSessionView> _views = ImmutableDictionary.Create<string, BfdSessionView>(StringComparer.Ordinal);
    private ChangeWatch? _topologyChanges;
    private ChangeWatch? _supervisorChanges;
    private Thread? _thread;
    private Task _logWriter = Task.CompletedTask;
    private ulong _nextListenerId;
    private long _loopTick;
    private volatile bool _stopping;

    public BfdService(TopologyService topology, BfdMetrics metrics, TimeProvider time, ILogger<BfdService> logger, Random? random = null)
        : this(topology, metrics, time, logger, random, useIoUring: IoUringAllowed())
    {
    }

    /// <summary>
    /// The service, with <paramref name="useIoUring"/> false sending one <c>send</c> per packet
    /// instead of one <c>io_uring_enter</c> per pass (tests of that path; serve reads <see cref="IoUringVariable"/>).
    /// </summary>
    internal BfdService(TopologyService topology, BfdMetrics metrics, TimeProvider time, ILogger<BfdService> logger, Random? random, bool useIoUring)
        : base(time)
    {
        _topology = topology;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared;
        if (LinuxEpoll.IsSupported)
        {
            _epoll = LinuxEpoll.TryCreate(EventBatch, out _epollError);
            _batch = new LinuxReceiveBatch(ReceiveBatch, BfdListener.MaxDatagram);
            _sends = CreateSendBatch(useIoUring);
        }
        else
        {
            _epollError = "BFD needs Linux (64-bit)";
        }

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
    public PathLiveness? Liveness(string pathId) => Sessions.TryGetValue(pathId, out var s) ? s.Liveness : null;

    /// <inheritdoc />
    public override string LoopName => "bfd";

    /// <summary>The loop thread's last pass (readiness reads it), not the supervisor's.</summary>
    long IEngineLoop.LastTick => Volatile.Read(ref _loopTick);

    /// <summary>
    /// A new reader of every state change from now on. Bounded: a reader that falls behind loses
    /// the oldest events (the current state is always in <see cref="Sessions"/>).
    /// </summary>
    public ChannelReader<BfdSessionEvent> Subscribe(CancellationToken cancellationToken = default) => _events.Subscribe(cancellationToken);

    /// <summary>
    /// Holds a path's session AdminDown (or releases it) at run time, whatever its source; not
    /// persisted. False when the path has no BFD session. A session the topology has but the loop
    /// has not opened yet (a path created a moment ago) takes the command too: it opens held.
    /// </summary>
    public bool SetAdminDownOverride(string pathId, bool adminDown)
    {
        if (!Sessions.ContainsKey(pathId) && !HasSession(_topology.Current, pathId))
        {
            return false;
        }

        _commands.Writer.TryWrite((pathId, adminDown));
        _epoll?.Wake();
        return true;
    }

    public override void Dispose()
    {
        base.Dispose();
        if (_thread is null || _threadDone.Task.IsCompleted)
        {
            _epoll?.Dispose();
            _sends?.Dispose();
        }
    }

    protected override ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
    {
        // The thread's first pass opens the sessions of the topology it starts with; the
        // supervisor only passes later changes on as wake-ups.
        _topologyChanges = _topology.Changed.Watch(changedAtFirst: true);
        _supervisorChanges = _topology.Changed.Watch();
        WakeOn(_supervisorChanges);
        _logWriter = Task.Run(WriteLogsAsync, CancellationToken.None);
        LogSendMode();
        _thread = new Thread(Run) { IsBackground = true, Name = "bfd" };
        _thread.Start();
        return ValueTask.FromResult(true);
    }

    protected override ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
    {
        if (_supervisorChanges!.Consume())
        {
            _epoll?.Wake();
        }

        return ValueTask.FromResult<TimeSpan?>(null);
    }

    protected override void LogIterationFailed(Exception exception) => LogLoopError(_logger, exception);

    protected override async ValueTask StoppedAsync()
    {
        _stopping = true;
        _epoll?.Wake();
        if (_thread is not null)
        {
            await _threadDone.Task.ConfigureAwait(false);
        }

        await _listeners.DisposeAsync().ConfigureAwait(false);
        _inbound.Writer.TryComplete();
        _logQueue.Writer.TryComplete();
        await _logWriter.ConfigureAwait(false);
        _epoll?.Dispose();
        _sends?.Dispose();
    }

    /// <summary>
    /// One pass at <paramref name="now"/>: commands, injected datagrams, then due timers — each
    /// Detection Time only after its session's socket was read empty. The loop thread runs it
    /// between waits; tests drive the service through it.
    /// </summary>
    internal void Iterate(long now)
    {
        while (_commands.Reader.TryRead(out var command))
        {
            ApplyAdminOverride(command.PathId, command.AdminDown, now);
        }

        while (_inbound.Reader.TryRead(out var packet))
        {
            OnPacket(packet);
        }

        while (_due.TryPeek(out var session, out var at) && at <= now)
        {
            _due.Dequeue();
            if (session.ScheduledAt != at || session.Closed)
            {
                continue; // superseded by a later schedule
            }

            session.ScheduledAt = long.MaxValue;

            // Before a Detection Time expires, read what the kernel already holds for this
            // session's address: after a stall the peer's packets may be queued but unread, and
            // each counts from its arrival. A packet read here reschedules the session.
            if (session.Core?.DetectionDeadline <= now && session.Listener is { } listener)
            {
                Drain(listener);
                if (session.Closed || session.ScheduledAt != long.MaxValue)
                {
                    continue; // a packet read rescheduled it (or closed it): its new entry is in the queue
                }
            }

            OnDue(session, now);
        }

        FlushSends(); // the pass's packets, all sessions, in one system call
    }

    /// <summary>Tests: stop (or resume) reading every listener unless a Detection Time is about to expire, as a starved loop would.</summary>
    internal void PauseListenersForTest(bool paused)
    {
        foreach (var listener in _listeners.Sockets)
        {
            listener.PausedForTest = paused;
        }
    }

    /// <summary>Tests: apply a topology synchronously, as the loop does when it changes.</summary>
    internal void ApplyTopologyForTest(TopologySnapshot topology, long now)
    {
        ApplyTopology(topology, now);
        FlushSends();
    }

    /// <summary>Tests: deliver a datagram as a listener would (its buffer must outlive the next <see cref="Iterate"/>).</summary>
    internal void DeliverForTest(BfdInbound packet)
    {
        if (!_inbound.Writer.TryWrite(packet))
        {
            _metrics.Dropped("queue_full");
        }

        _epoll?.Wake();
    }

    private void Publish(Session session, BfdStateChange change)
    {
        _metrics.StateChanged(change.NewState);
        var at = _time.GetUtcNow() - _time.GetElapsedTime(change.Timestamp);
        session.LastChange = at;
        session.LastChangeReason = change.Reason;
        session.Counts = BfdEvidence.CountsAfter(session.Counts, change);
        var pathId = session.PathId;
        Defer(() => LogStateChange(_logger, pathId, change.OldState, change.NewState, change.Diagnostic, change.Reason));
        var view = RefreshView(session, force: true);
        _events.Publish(new BfdSessionEvent(session.PathId, change, at, view));
        Changed.Notify();
    }

    /// <summary>Tells every peer we are going away on purpose (§6.8.16): AdminDown is not a path failure.</summary>
    private void SayGoodbye()
    {
        var now = _time.GetTimestamp();
        foreach (var session in _byPath.Values.ToList())
        {
            CloseSession(session, now, sayGoodbye: true);
        }

        FlushSends();
    }
}
