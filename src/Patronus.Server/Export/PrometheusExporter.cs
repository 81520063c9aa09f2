using System.Buffers;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// Renders one scrape from every producer — instruments of this host's meters, engine state,
/// process — one scrape at a time (producers read observable instruments and are not built for
/// concurrent collection). The buffer grows to the largest scrape seen and is reused.
/// </summary>
public sealed class PrometheusExporter
{
    private readonly IReadOnlyList<IMetricsProducer> _producers;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    internal PrometheusExporter(IEnumerable<IMetricsProducer> producers)
    {
        _producers = [.. producers];
    }

    /// <summary>Renders a scrape and hands its bytes to <paramref name="consume"/> while the lock is held (no copy).</summary>
    public T Render<T>(Func<ReadOnlyMemory<byte>, T> consume)
    {
        ArgumentNullException.ThrowIfNull(consume);
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            var writer = new PrometheusTextWriter(_buffer);
            foreach (var producer in _producers)
            {
                producer.Collect(writer);
            }

            return consume(_buffer.WrittenMemory);
        }
    }

    /// <summary>A scrape as a byte array (tests, benchmarks).</summary>
    public byte[] Render() => Render(m => m.ToArray());
}
