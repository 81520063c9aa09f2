using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Patronus.Engine.Health;

/// <summary>
/// Keeps the health rollups and retention: every <see cref="HealthPersistenceOptions.RollupInterval"/>
/// (default 1 min) it rolls the recorder's 10-second buckets up into 1-minute buckets and those into
/// 1-hour buckets, then deletes what is past each level's retention (defaults: raw samples and
/// 10-second buckets 24 h, minutes 7 days, hours 400 days)
/// and the status events past <see cref="HealthPersistenceOptions.EventRetention"/> (default 30 days).
/// Minutes are rolled before hours so an hour that just ended includes its last minute. On several
/// controllers sharing one PostgreSQL database only the leader runs a pass (docs/ha.md); its writes
/// are fenced, and a pass cut short by a lost lease is redone by the next leader (rollups are
/// idempotent, retention is harmless to repeat).
/// </summary>
public sealed partial class HealthRollupService : BackgroundService
{
    private readonly IHealthHistoryStore _store;
    private readonly HealthPersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Paths.TopologyService? _topology;
    private readonly Cluster.ILeadership? _leadership;

    /// <param name="store">The store.</param>
    /// <param name="options">Intervals and retention.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The log.</param>
    /// <param name="topology">When given, the first pass waits until the store is migrated and the topology loaded (else it would meet missing tables on a fresh data directory).</param>
    /// <param name="leadership">When given, a pass runs only while this instance leads.</param>
    public HealthRollupService(IHealthHistoryStore store, IOptions<HealthPersistenceOptions> options, TimeProvider timeProvider, ILogger<HealthRollupService> logger,
        Paths.TopologyService? topology = null, Cluster.ILeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        new HealthPersistenceOptionsValidator().ThrowIfInvalid(options.Value);
        _store = store;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _topology = topology;
        _leadership = leadership;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_topology is { IsReady: false })
        {
            try
            {
                // Changed completes just before IsReady is set: check again shortly as well.
                await Task.WhenAny(_topology.Changed.Next, Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }

        using var timer = new PeriodicTimer(_options.RollupInterval, _time);
        try
        {
            // A pass at once: after a restart the minutes missed while down are rolled up without waiting.
            do
            {
                try
                {
                    if (_leadership is not { IsLeader: false })
                    {
                        await RunOnceAsync(_time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // a failed pass (store down) is logged and retried next interval
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.PassFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass as of <paramref name="now"/>: minute and hour rollups, then retention of every level and of the status events.</summary>
    public async Task<HealthRollupPass> RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var minutes = await _store.RollupAsync(HealthResolution.Minute, now, cancellationToken).ConfigureAwait(false);
        var hours = await _store.RollupAsync(HealthResolution.Hour, now, cancellationToken).ConfigureAwait(false);
        var raw = await _store.DeleteHealthBeforeAsync(HealthResolution.Raw, now - _options.RawRetention, cancellationToken).ConfigureAwait(false);
        var tenSecondRows = await _store.DeleteHealthBeforeAsync(HealthResolution.TenSeconds, now - _options.TenSecondRetention, cancellationToken).ConfigureAwait(false);
        var minuteRows = await _store.DeleteHealthBeforeAsync(HealthResolution.Minute, now - _options.MinuteRetention, cancellationToken).ConfigureAwait(false);
        var hourRows = await _store.DeleteHealthBeforeAsync(HealthResolution.Hour, now - _options.HourRetention, cancellationToken).ConfigureAwait(false);
        var events = await _store.DeletePathEventsBeforeAsync(now - _options.EventRetention, cancellationToken).ConfigureAwait(false);
        var pass = new HealthRollupPass(minutes, hours, raw, minuteRows, hourRows, events) { TenSecondDeleted = tenSecondRows };
        var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
        Log.Pass(_logger, minutes, hours, raw, tenSecondRows, minuteRows, hourRows, events, elapsedMs);
        return pass;
    }

    // EventIds 360–369: health persistence, rollups and retention.
    private static partial class Log
    {
        [LoggerMessage(EventId = 360, Level = LogLevel.Debug, Message = "Health rollup: {Minutes} minute and {Hours} hour buckets written; expired {Raw} raw samples, {TenSecondRows} 10-second, {MinuteRows} minute and {HourRows} hour blocks, {Events} status events ({ElapsedMs} ms)")]
        public static partial void Pass(ILogger logger, int minutes, int hours, long raw, long tenSecondRows, long minuteRows, long hourRows, long events, double elapsedMs);

        [LoggerMessage(EventId = 361, Level = LogLevel.Error, Message = "Health rollup pass failed; retrying next interval")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}

/// <summary>What one rollup pass did.</summary>
/// <param name="MinuteBuckets">1-minute bucket rows written (new or re-aggregated).</param>
/// <param name="HourBuckets">1-hour bucket rows written.</param>
/// <param name="RawDeleted">Raw samples past retention, deleted.</param>
/// <param name="MinuteDeleted">Blocks of 1-minute buckets (one path, one hour each) past retention, deleted.</param>
/// <param name="HourDeleted">Blocks of 1-hour buckets (one path, one day each) past retention, deleted.</param>
/// <param name="EventsDeleted">Path status events past retention, deleted.</param>
public sealed record HealthRollupPass(int MinuteBuckets, int HourBuckets, long RawDeleted, long MinuteDeleted, long HourDeleted, long EventsDeleted)
{
    /// <summary>Blocks of 10-second buckets (one path, 10 minutes each) past retention, deleted.</summary>
    public long TenSecondDeleted { get; init; }
}
