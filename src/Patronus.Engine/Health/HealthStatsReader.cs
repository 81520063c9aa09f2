namespace Patronus.Engine.Health;

/// <summary>
/// Computes <see cref="PathHealthStats"/> from stored history: plans the levels with
/// <see cref="HealthStatsPlanner"/>, streams each segment from the store into a
/// <see cref="HealthStatsAccumulator"/>, and replaces a rollup-approximated p95 by the exact one
/// when every raw sample of the period is still kept and the period is at most
/// <see cref="ExactP95MaxSpan"/> long. Cost per call: a few hundred to ~10,000 rows streamed
/// (a week of minutes) plus, for periods up to a day, one percentile query in the database.
/// </summary>
public sealed class HealthStatsReader
{
    /// <summary>
    /// Longest period whose p95 is computed exactly from raw samples (when they are all retained).
    /// 24 h = the default raw retention: 86,400 samples a path at the default 1 s, ranked in the
    /// database without leaving it (a whole <c>day</c> request took 26 ms on SQLite on the dev box,
    /// see docs/health.md); longer periods use the rollups' approximation.
    /// </summary>
    public static readonly TimeSpan ExactP95MaxSpan = TimeSpan.FromHours(24);

    private readonly IHealthHistoryStore _store;
    private readonly HealthPersistenceOptions _retention;
    private readonly TimeSpan _sampleInterval;
    private readonly TimeProvider _time;

    /// <param name="store">The store.</param>
    /// <param name="retention">How long each level is kept.</param>
    /// <param name="sampleInterval">The health sample interval (<see cref="HealthOptions.SampleInterval"/>): what one sample covers.</param>
    /// <param name="timeProvider">The clock.</param>
    public HealthStatsReader(IHealthHistoryStore store, HealthPersistenceOptions retention, TimeSpan sampleInterval, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(retention);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sampleInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _retention = retention;
        _sampleInterval = sampleInterval;
        _time = timeProvider;
    }

    /// <summary>Stats of the <paramref name="span"/> ending now.</summary>
    public Task<PathHealthStats> ReadAsync(string pathId, TimeSpan span, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero);
        // Milliseconds: the store's resolution, and what the API prints.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return ReadAsync(pathId, now - span, now, now, cancellationToken);
    }

    /// <summary>Stats of [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public Task<PathHealthStats> ReadAsync(string pathId, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        ReadAsync(pathId, from, until, _time.GetUtcNow(), cancellationToken);

    private async Task<PathHealthStats> ReadAsync(string pathId, DateTimeOffset from, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(until, from);
        var resolution = HealthHistory.Plan(from, until, requested: null, now, _retention).Resolution;
        DateTimeOffset? minutes = null;
        DateTimeOffset? hours = null;
        if (resolution >= HealthResolution.Minute)
        {
            minutes = await _store.GetHealthRolledUpUntilAsync(HealthResolution.Minute, cancellationToken).ConfigureAwait(false);
        }

        if (resolution == HealthResolution.Hour)
        {
            hours = await _store.GetHealthRolledUpUntilAsync(HealthResolution.Hour, cancellationToken).ConfigureAwait(false);
        }

        var plan = HealthStatsPlanner.Plan(from, until, now, _retention, minutes, hours);
        var accumulator = new HealthStatsAccumulator(from, until, _sampleInterval);
        foreach (var segment in plan.Segments)
        {
            if (segment.Resolution == HealthResolution.Raw)
            {
                await foreach (var sample in _store.ReadPathHealthAsync(pathId, segment.From, segment.Until, cancellationToken).ConfigureAwait(false))
                {
                    accumulator.Add(sample);
                }
            }
            else
            {
                await foreach (var bucket in _store.ReadPathHealthBucketsAsync(pathId, segment.Resolution, segment.From, segment.Until, cancellationToken).ConfigureAwait(false))
                {
                    accumulator.Add(bucket);
                }
            }
        }

        var stats = accumulator.Finish(pathId, plan.Resolution);
        // Raw holds everything since now − RawRetention (retention deletes only older rows), and the
        // rollups were made from those very samples: the exact p95 describes the same data.
        if (stats is { SampleCount: > 0, LatencyP95Exact: false } && from >= now - _retention.RawRetention && until - from <= ExactP95MaxSpan &&
            await _store.GetPathLatencyP95Async(pathId, from, until, cancellationToken).ConfigureAwait(false) is { } exact)
        {
            stats = stats with { LatencyP95Ms = exact, LatencyP95Exact = true };
        }

        return stats;
    }
}
