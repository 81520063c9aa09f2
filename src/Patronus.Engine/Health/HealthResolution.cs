namespace Patronus.Engine.Health;

/// <summary>Granularity of stored path health history, finest first (a level's finer level is the one before it).</summary>
public enum HealthResolution
{
    /// <summary>
    /// Every sample as taken (<c>sdwan_path_health</c>, one per path per sample interval). Recorded only
    /// with <see cref="HealthPersistenceOptions.RawSamples"/> (off by default: a row per path per second
    /// is 3.2 GB an hour at 10,000 paths); rows written by an older release age out.
    /// </summary>
    Raw,

    /// <summary>10-second buckets aggregated in memory by the <see cref="HealthRecorder"/> (<c>sdwan_path_health_10s</c>).</summary>
    TenSeconds,

    /// <summary>1-minute rollups (<c>sdwan_path_health_1m_blocks</c>) aggregated from the 10-second buckets.</summary>
    Minute,

    /// <summary>1-hour rollups (<c>sdwan_path_health_1h_blocks</c>) aggregated from the 1-minute rollups.</summary>
    Hour,
}

/// <summary>Bucket sizes of the bucket resolutions.</summary>
public static class HealthResolutions
{
    /// <summary>The span one bucket covers: 10 s, 1 min or 1 h; zero for <see cref="HealthResolution.Raw"/>.</summary>
    public static TimeSpan BucketSize(this HealthResolution resolution) => resolution switch
    {
        HealthResolution.TenSeconds => TimeSpan.FromSeconds(10),
        HealthResolution.Minute => TimeSpan.FromMinutes(1),
        HealthResolution.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.Zero,
    };
}
