namespace Patronus.Engine.Health;

/// <summary>Granularity of stored path health history.</summary>
public enum HealthResolution
{
    /// <summary>Every sample as recorded (<c>sdwan_path_health</c>, one per path per sample interval).</summary>
    Raw,

    /// <summary>1-minute rollups (<c>sdwan_path_health_1m</c>) aggregated from raw samples.</summary>
    Minute,

    /// <summary>1-hour rollups (<c>sdwan_path_health_1h</c>) aggregated from the 1-minute rollups.</summary>
    Hour,
}

/// <summary>Bucket sizes of the rollup resolutions.</summary>
public static class HealthResolutions
{
    /// <summary>The span one bucket covers: 1 min or 1 h; zero for <see cref="HealthResolution.Raw"/>.</summary>
    public static TimeSpan BucketSize(this HealthResolution resolution) => resolution switch
    {
        HealthResolution.Minute => TimeSpan.FromMinutes(1),
        HealthResolution.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.Zero,
    };
}
