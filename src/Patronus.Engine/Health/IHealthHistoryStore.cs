using Patronus.Engine.Storage;

namespace Patronus.Engine.Health;

/// <summary>
/// Where path health history is kept: 10-second buckets (and, opt-in, raw samples), status events,
/// the 1-minute and 1-hour rollups and their retention. The health feature's storage port, implemented for SQLite and PostgreSQL
/// outside the engine (Patronus.Persistence); written by <see cref="HealthRecorder"/>, rolled up and
/// expired by <see cref="HealthRollupService"/>, read by the history and stats queries.
/// </summary>
public interface IHealthHistoryStore
{
    /// <summary>Writes a batch of health samples in one transaction. MissingReference (nothing written) when a sample names a path that does not exist.</summary>
    Task<StoreResult> InsertPathHealthAsync(IReadOnlyList<PathHealthSample> samples, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a batch of <see cref="HealthResolution.TenSeconds"/> buckets in one transaction. A bucket
    /// whose (path, start) is already stored is merged with it (<see cref="PathHealthBucket.Combine"/>):
    /// the recorder writes an open bucket at shutdown and the rest of it after the restart.
    /// MissingReference (nothing written) when a bucket names a path that does not exist.
    /// </summary>
    Task<StoreResult> InsertPathHealthBucketsAsync(IReadOnlyList<PathHealthBucket> buckets, CancellationToken cancellationToken = default);

    /// <summary>Samples of one path with <paramref name="from"/> ≤ timestamp &lt; <paramref name="until"/>, oldest first, at most <paramref name="limit"/> (≥ 1).</summary>
    Task<IReadOnlyList<PathHealthSample>> GetPathHealthAsync(string pathId, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a batch of status events in one transaction. <see cref="StoreStatus.MissingReference"/>
    /// (nothing written) when an event names a path that does not exist.
    /// </summary>
    Task<StoreResult> InsertPathEventsAsync(IReadOnlyList<PathStatusEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Events of one path with <paramref name="from"/> ≤ timestamp &lt; <paramref name="until"/>, oldest first, at most <paramref name="limit"/> (≥ 1).</summary>
    Task<IReadOnlyList<PathStatusEvent>> GetPathEventsAsync(string pathId, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Aggregates every complete bucket of <paramref name="resolution"/> (<see cref="HealthResolution.Minute"/>
    /// from 10-second buckets, <see cref="HealthResolution.Hour"/> from minute buckets) that ends at or before
    /// <paramref name="upTo"/> floored to the bucket size and has source data. Idempotent: a bucket is
    /// replaced on (path, bucket start). Only buckets at or after the end of the previous run minus one
    /// bucket are (re-)aggregated, so each run costs about two buckets, and a 10-second bucket that arrives
    /// late by up to one minute is still counted on the next run; a later one is not. Writes are
    /// bounded transactions. Returns the number of buckets written.
    /// </summary>
    Task<int> RollupAsync(HealthResolution resolution, DateTimeOffset upTo, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes rows of <paramref name="resolution"/> older than <paramref name="cutoff"/>
    /// (raw: timestamp &lt; cutoff; buckets: a whole block, once its end ≤ cutoff — so a bucket outlives
    /// its retention by at most a block: 10 min, 1 h, 1 day) in bounded chunks, each its own
    /// transaction, so a large delete never holds SQLite's single writer for long. Returns the rows deleted.
    /// </summary>
    Task<long> DeleteHealthBeforeAsync(HealthResolution resolution, DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention of status events: deletes events with timestamp &lt; <paramref name="cutoff"/> in
    /// bounded chunks, each its own transaction (as <see cref="DeleteHealthBeforeAsync"/>). Returns the rows deleted.
    /// </summary>
    Task<long> DeletePathEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rollup buckets of one path with <paramref name="from"/> ≤ bucket start &lt; <paramref name="until"/>,
    /// oldest first, at most <paramref name="limit"/> (≥ 1). <paramref name="resolution"/> must be TenSeconds,
    /// Minute or Hour (raw samples come from <see cref="GetPathHealthAsync"/>).
    /// </summary>
    Task<IReadOnlyList<PathHealthBucket>> GetPathHealthBucketsAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raw samples of one path with <paramref name="from"/> ≤ timestamp &lt; <paramref name="until"/>,
    /// oldest first, streamed without a limit (for aggregation: the caller holds what it keeps, not
    /// every row). The connection stays open until the enumeration ends.
    /// </summary>
    IAsyncEnumerable<PathHealthSample> ReadPathHealthAsync(string pathId, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rollup buckets of one path with <paramref name="from"/> ≤ bucket start &lt; <paramref name="until"/>,
    /// oldest first, streamed without a limit. <paramref name="resolution"/> must be TenSeconds, Minute or Hour.
    /// </summary>
    IAsyncEnumerable<PathHealthBucket> ReadPathHealthBucketsAsync(string pathId, HealthResolution resolution, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// End of the newest bucket of <paramref name="resolution"/> (Minute or Hour) of any path: rollups
    /// run for every path at once, so time before it is rolled up and time after it is found only at
    /// the finer level. Null when there is no bucket yet.
    /// </summary>
    Task<DateTimeOffset?> GetHealthRolledUpUntilAsync(HealthResolution resolution, CancellationToken cancellationToken = default);

    /// <summary>
    /// Exact 95th percentile latency of one path's raw samples with <paramref name="from"/> ≤ timestamp
    /// &lt; <paramref name="until"/>: the nearest rank ⌈0.95 n⌉ in ascending order (the 1-minute rollup's
    /// definition), picked in the database so no sample leaves it. Null when there is no sample.
    /// </summary>
    Task<double?> GetPathLatencyP95Async(string pathId, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken = default);
}
