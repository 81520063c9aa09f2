namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// Limits of a <see cref="StampReflector"/>. The defaults leave every legitimate sender far below
/// them: an edge probes each path every 500 ms (<c>Health:Interval</c>) and every 100 ms after a
/// miss (<c>Health:FastInterval</c>), so even 2,000 paths behind one source address, all missing
/// at once, send 20,000 test packets/s; the probe benchmark's 10,000 paths over 4 source
/// addresses send 5,000/s each.
/// </summary>
public sealed record StampReflectorOptions
{
    /// <summary>Average test packets per second answered per source address; more are dropped (<c>rate_limited</c>). Default 20,000.</summary>
    public double PerSourceRate { get; init; } = 20_000;

    /// <summary>Test packets a source address may send at once before <see cref="PerSourceRate"/> applies (the token bucket's size). Default 20,000: one second at the rate.</summary>
    public int PerSourceBurst { get; init; } = 20_000;
}
