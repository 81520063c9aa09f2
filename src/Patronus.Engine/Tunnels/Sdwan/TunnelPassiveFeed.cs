using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;

namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// Hands the tunnels' passive loss to path health (issue 16 item 3: "feed it into path health next
/// to the active probes") without either feature touching the other's state: every
/// <see cref="PublishInterval"/> it reads each Patronus peer's recent loss counts per arrival path
/// (under the peer's lock, as the API's snapshots do), pools them per path, and swaps in an
/// immutable map that the health monitor reads through <see cref="IPathPassiveSource"/>, waking it
/// through <see cref="Changed"/> only when a path's numbers changed. The tunnel's receive path
/// keeps owning its estimators; the monitor keeps owning the scores.
/// </summary>
public sealed partial class TunnelPassiveFeed : BackgroundService, IPathPassiveSource
{
    /// <summary>
    /// How often the measurements are published: 250 ms, so a busy path's new loss reaches its
    /// score within a quarter of a second of the bucket that shows it, at four map swaps a second
    /// (and at most four re-evaluations per path carrying traffic: the probes cause two).
    /// </summary>
    public static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(250);

    private static readonly IReadOnlyDictionary<string, PathPassiveLoss> s_none = new Dictionary<string, PathPassiveLoss>(StringComparer.Ordinal);

    private readonly TunnelService? _tunnels;
    private readonly HealthOptions _health;
    private readonly TimeProvider _time;
    private readonly ILogger<TunnelPassiveFeed> _logger;
    private IReadOnlyDictionary<string, PathPassiveLoss> _current = s_none;

    public TunnelPassiveFeed(TunnelService tunnels, IOptions<HealthOptions> health, TimeProvider time, ILogger<TunnelPassiveFeed> logger)
        : this(health, time, logger)
    {
        _tunnels = tunnels;
    }

    /// <summary>Tests: a feed without the service, published with <see cref="Publish"/>.</summary>
    internal TunnelPassiveFeed(IOptions<HealthOptions> health, TimeProvider time, ILogger<TunnelPassiveFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(health);
        _health = health.Value;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc/>
    public ChangeSignal Changed { get; } = new();

    /// <inheritdoc/>
    public PathPassiveLoss? Passive(string pathId) =>
        Volatile.Read(ref _current).TryGetValue(pathId, out var loss) ? loss : null;

    /// <summary>
    /// Pools per-path loss counts into the published measurements: loss = (expected − received) /
    /// expected over every stream arriving through the path (a late message repays its loss, so
    /// never below 0); paths that expected nothing are left out (nothing measured is not "no loss").
    /// </summary>
    public static IReadOnlyDictionary<string, PathPassiveLoss> Pool(IReadOnlyDictionary<string, (long Expected, long Received)> sums)
    {
        ArgumentNullException.ThrowIfNull(sums);
        var pooled = new Dictionary<string, PathPassiveLoss>(StringComparer.Ordinal);
        foreach (var (pathId, (expected, received)) in sums)
        {
            if (expected > 0)
            {
                pooled[pathId] = new PathPassiveLoss(Math.Max(0, expected - received) * 100.0 / expected, expected, received);
            }
        }

        return pooled;
    }

    /// <summary>One publish: read <paramref name="device"/>'s peers (none: nothing measured), swap the map, notify when it changed.</summary>
    internal void Publish(TunnelDevice? device)
    {
        var sums = new Dictionary<string, (long Expected, long Received)>(StringComparer.Ordinal);
        if (device is not null)
        {
            foreach (var peer in device.Peers)
            {
                peer.AddRecentLoss(sums, _health.PassiveMinPackets);
            }
        }

        var next = Pool(sums);
        var current = Volatile.Read(ref _current);
        if (next.Count == current.Count && next.All(p => current.TryGetValue(p.Key, out var c) && c == p.Value))
        {
            return;
        }

        Volatile.Write(ref _current, next.Count == 0 ? s_none : next);
        Changed.Notify();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_tunnels is not { Enabled: true } tunnels || !_health.UsePassiveLoss)
        {
            return;
        }

        try
        {
            using var timer = new PeriodicTimer(PublishInterval, _time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Publish(tunnels.Device);
                }
#pragma warning disable CA1031 // a loop logs and carries on; only cancellation ends it
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogPublishFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(EventId = 7095, Level = LogLevel.Error, Message = "Publishing the tunnels' passive loss to path health failed; continuing")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}
