using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Cluster;

/// <summary>
/// Samples the store's size for <c>cluster_state_size_bytes</c> every <see cref="Interval"/>
/// (the first time at start): one cheap query (<c>pg_database_size</c>, or SQLite's page count), off
/// the scrape path. Without an <see cref="IClusterFeedStore"/> (tools, engine tests) it does nothing.
/// </summary>
public sealed partial class ClusterStateSizeService : BackgroundService
{
    /// <summary>How often the size is read: 15 s, Prometheus' usual scrape interval; the size moves by retention and rollups, far slower.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly IClusterFeedStore? _store;
    private readonly ClusterMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterStateSizeService(ClusterMetrics metrics, TimeProvider timeProvider, ILogger<ClusterStateSizeService> logger, IClusterFeedStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_store is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            var failing = false;
            do
            {
                try
                {
                    _metrics.StateSize(await _store.GetStateSizeBytesAsync(stoppingToken).ConfigureAwait(false));
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    if (!failing)
                    {
                        failing = true;
                        LogFailed(_logger, ex);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 940, Level = LogLevel.Debug, Message = "Reading the store's size failed; the gauge keeps its last value and is read again every interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
