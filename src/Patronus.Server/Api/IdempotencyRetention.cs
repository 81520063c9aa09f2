using Patronus.Engine.Cluster;
using Patronus.Persistence.Idempotency;

namespace Patronus.Server.Api;

/// <summary>
/// Deletes idempotency keys past their lifetime (<see cref="IdempotencyMiddleware.Lifetime"/>) every
/// <see cref="Interval"/>, on the leader only (retention is singleton work, docs/ha.md; the store
/// fences each chunk). Expired keys that are not deleted yet are already ignored by claims, so the
/// hour between runs only costs space.
/// </summary>
public sealed partial class IdempotencyRetention : BackgroundService
{
    /// <summary>How often expired keys are deleted: hourly.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private readonly IIdempotencyStore _store;
    private readonly ILeadership _leadership;
    private readonly TimeProvider _time;
    private readonly ILogger<IdempotencyRetention> _logger;

    public IdempotencyRetention(IIdempotencyStore store, ILeadership leadership, TimeProvider time, ILogger<IdempotencyRetention> logger)
    {
        _store = store;
        _leadership = leadership;
        _time = time;
        _logger = logger;
    }

    /// <summary>One pass: deletes what has expired when this node leads; returns the rows deleted.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        if (!_leadership.IsLeader)
        {
            return 0;
        }

        var deleted = await _store.DeleteIdempotencyKeysBeforeAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            LogPurged(_logger, deleted);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await PurgeAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 752, Level = LogLevel.Information, Message = "Deleted {Count} expired idempotency keys")]
    private static partial void LogPurged(ILogger logger, long count);

    [LoggerMessage(EventId = 753, Level = LogLevel.Warning, Message = "Deleting expired idempotency keys failed; the next pass retries")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
