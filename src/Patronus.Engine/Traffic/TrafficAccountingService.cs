using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Traffic;

/// <summary>
/// Traffic accounting: one loop that keeps the nftables table <c>inet patronus_acct</c> in line with
/// the failover policies and the topology (rebuilt when either changes), reads its counters every
/// <see cref="TrafficOptions.ReadInterval"/> and publishes an immutable <see cref="TrafficSnapshot"/>.
/// The loop owns every piece of mutable state; readers only take <see cref="Current"/>. The table
/// is removed at shutdown. Off, with the reason in <see cref="Unavailable"/>, when disabled, not
/// root, or without <c>nft</c>. What is counted where: docs/traffic.md.
/// </summary>
public sealed partial class TrafficAccountingService : EngineLoop, ITrafficSource
{
    /// <summary>How long removing the table at shutdown may take (one nft run: milliseconds).</summary>
    private static readonly TimeSpan s_removeTimeout = TimeSpan.FromSeconds(2);

    private readonly FailoverPolicyService _policies;
    private readonly TopologyService _topology;
    private readonly TrafficOptions _options;
    private readonly TrafficMetrics _metrics;
    private readonly ILogger _logger;
    private readonly bool _privileged;
    private readonly Func<string, IEnumerable<string>> _readLines;
    private readonly TrafficCounterState _counters = new();
    private INftRunner? _nft;
    private INftCounterReader? _reader;
    private TrafficSnapshot _current = TrafficSnapshot.Empty;
    private string? _unavailable = "starting: the counters have not been read yet";
    private PeriodicTimer? _timer;
    private Task<bool>? _tick;
    private ChangeWatch? _policyChanges;
    private ChangeWatch? _topologyChanges;
    private bool _dirty;
    private bool _readPending = true; // the first iteration reads, and the one after a failure

    public TrafficAccountingService(FailoverPolicyService policies, TopologyService topology, IOptions<TrafficOptions> options, TrafficMetrics metrics,
        TimeProvider time, ILogger<TrafficAccountingService> logger)
        : this(policies, topology, options, metrics, time, logger, nft: null, Environment.IsPrivilegedProcess, readLines: null)
    {
    }

    /// <summary>
    /// Tests: a fake <c>nft</c>, the privilege check's answer, the conntrack file's lines, and what
    /// reads the counters (null: through <paramref name="nft"/> when given, else chosen at start;
    /// owned by the service from here on, disposed with it).
    /// </summary>
    internal TrafficAccountingService(FailoverPolicyService policies, TopologyService topology, IOptions<TrafficOptions> options, TrafficMetrics metrics,
        TimeProvider time, ILogger logger, INftRunner? nft, bool privileged, Func<string, IEnumerable<string>>? readLines, INftCounterReader? counterReader = null)
        : base(time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _policies = policies;
        _topology = topology;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _nft = nft;
        _reader = counterReader ?? (nft is null ? null : new NftJsonCounterReader(nft));
        _privileged = privileged;
        _readLines = readLines ?? File.ReadLines;
    }

    /// <inheritdoc/>
    public TrafficSnapshot Current => Volatile.Read(ref _current);

    /// <inheritdoc/>
    public string? Unavailable => Volatile.Read(ref _unavailable);

    /// <inheritdoc />
    public override string LoopName => "traffic";

    /// <summary>Completes at the next publication of <see cref="Current"/> (or of a new <see cref="Unavailable"/>).</summary>
    internal Task Published => _published.Next;

    private readonly ChangeSignal _published = new();

    /// <summary>After a failed iteration: the next read is at most one interval away anyway.</summary>
    protected override TimeSpan RetryAfterError => _options.ReadInterval;

    protected override ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
    {
        if (OffReason() is { } off)
        {
            SetUnavailable(off);
            LogOff(_logger, off);
            return ValueTask.FromResult(false);
        }

        // Reads on a periodic timer armed once, so the cadence does not drift with the time a read
        // takes; a change of the policies or the topology rebuilds and reads at once. The first
        // iteration does both.
        _timer = new PeriodicTimer(_options.ReadInterval, Time);
        _policyChanges = _policies.Changed.Watch(changedAtFirst: true);
        _topologyChanges = _topology.Changed.Watch(changedAtFirst: true);
        WakeOn(_policyChanges);
        WakeOn(_topologyChanges);
        WakeOn(ct => _tick ??= _timer.WaitForNextTickAsync(ct).AsTask());
        return ValueTask.FromResult(true);
    }

    protected override async ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
    {
        // Both, not either: each watch must be consumed to re-arm. Take the signals before reading
        // Current (in ApplyAsync): no change is missed.
        var policies = _policyChanges!.Consume();
        var changed = _topologyChanges!.Consume() | policies;
        var due = _tick is { IsCompleted: true };
        if (due)
        {
            _tick = null;
        }

        _dirty |= changed;
        if (_dirty || _applied is null)
        {
            _dirty = !await ApplyAsync(cancellationToken).ConfigureAwait(false); // failed: again at the next tick
        }

        // Woken by the heartbeat alone: nothing to read yet.
        if (_applied is not null && (due || changed || _readPending))
        {
            _readPending = false;
            await ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    protected override void LogIterationFailed(Exception exception)
    {
        LogLoopError(_logger, exception);
        _readPending = true;
    }

    /// <summary>Stops the loop, then removes the table: no rule of ours outlives the process.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_nft is null || !_installAttempted)
        {
            return;
        }

        _installAttempted = false; // once: a second stop has nothing to remove
        using var timeout = new CancellationTokenSource(s_removeTimeout);
        try
        {
            var result = await _nft.RunAsync(["-f", "-"], AccountingRuleset.DeleteScript, timeout.Token).ConfigureAwait(false);
            if (result.Succeeded)
            {
                LogRemoved(_logger);
            }
            else if (result.Stderr.Contains("No such file or directory", StringComparison.Ordinal))
            {
                LogRemoved(_logger); // already gone (never created, or deleted by someone else)
            }
            else
            {
                LogRemoveFailed(_logger, result.Error);
            }
        }
        catch (OperationCanceledException)
        {
            LogRemoveFailed(_logger, $"nft did not answer within {s_removeTimeout.TotalSeconds} s");
        }
    }

    /// <summary>Why accounting cannot run here at all (checked once, at start), or null; finds nft.</summary>
    private string? OffReason()
    {
        if (!_options.Enabled)
        {
            return "disabled by configuration (Traffic:Enabled=false)";
        }

        if (!_privileged)
        {
            return "not running as root: nftables counters need CAP_NET_ADMIN";
        }

        if (_nft is null)
        {
            if (NftProcessRunner.Find(_options.NftPath) is not { } path)
            {
                return _options.NftPath is { } configured
                    ? $"nft not found at {configured} (Traffic:NftPath)"
                    : "nft not found on PATH, /usr/sbin or /sbin (apt-get install nftables)";
            }

            _nft = new NftProcessRunner(path);
        }

        _reader ??= ChooseReader();
        return null;
    }

    /// <summary>
    /// Netlink, unless <c>Traffic:NftPath</c> names the program: whatever that runs (a wrapper, another
    /// namespace's nft), the reads go through it as the writes do. Netlink that cannot be opened
    /// falls back to nft, said once.
    /// </summary>
    private INftCounterReader ChooseReader()
    {
        if (_options.NftPath is not null)
        {
            LogCounterSource(_logger, "nft", "Traffic:NftPath is set");
            return new NftJsonCounterReader(_nft!);
        }

        try
        {
            var reader = NftNetlinkCounterReader.Open();
            LogCounterSource(_logger, "netlink", "one dump request per read, no process");
            return reader;
        }
        catch (IOException ex)
        {
            LogCounterFallback(_logger, ex.Message);
            return new NftJsonCounterReader(_nft!);
        }
    }

    private void SetUnavailable(string? reason)
    {
        Volatile.Write(ref _unavailable, reason);
        _published.Notify();
    }

    private void Publish(TrafficSnapshot snapshot)
    {
        Volatile.Write(ref _current, snapshot);
        Volatile.Write(ref _unavailable, null);
        _published.Notify();
    }

    /// <summary>Also disposes the counter reader, the one given to the constructor included (the service owns it).</summary>
    public override void Dispose()
    {
        _timer?.Dispose();
        _reader?.Dispose();
        _reader = null;
        base.Dispose();
    }
}
