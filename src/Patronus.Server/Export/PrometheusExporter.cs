using System.Buffers;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// Renders one scrape from every producer — instruments of this host's meters, engine state,
/// process — one render at a time (producers read observable instruments and are not built for
/// concurrent collection). Each render goes into a buffer from the exporter's own pool, which
/// keeps at most two buffers per size: at 10,000 paths a scrape is ~4.5 MB (an 8 MB array), and
/// the shared pool caches a rented array per thread, so every thread that ever served a scrape
/// could keep one. The writer of the response returns the buffer; the render lock is not held
/// while the bytes travel to a slow client.
/// </summary>
public sealed class PrometheusExporter
{
    private readonly IReadOnlyList<IMetricsProducer> _producers;
    private readonly ExportMetrics? _metrics;
    private readonly Lock _gate = new();
    private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create(maxArrayLength: 64 * 1024 * 1024, maxArraysPerBucket: 2);
    private int _lastLength = 64 * 1024;

    internal PrometheusExporter(IEnumerable<IMetricsProducer> producers, ExportMetrics? metrics = null)
    {
        _producers = [.. producers];
        _metrics = metrics;
    }

    /// <summary>Renders a scrape into a pooled buffer; dispose the result to give the buffer back.</summary>
    public Scrape RenderPooled()
    {
        lock (_gate)
        {
            var started = ExportMetrics.Start();
            var buffer = new PooledBufferWriter(_pool, _lastLength);
            try
            {
                var writer = new PrometheusTextWriter(buffer);
                foreach (var producer in _producers)
                {
                    producer.Collect(writer);
                }
            }
            catch
            {
                buffer.Dispose();
                throw;
            }

            _lastLength = Math.Max(buffer.Written.Length, 1024);
            _metrics?.Rendered(started);
            return new Scrape(buffer);
        }
    }

    /// <summary>Renders a scrape and hands its bytes to <paramref name="consume"/> (the buffer is returned after).</summary>
    public T Render<T>(Func<ReadOnlyMemory<byte>, T> consume)
    {
        ArgumentNullException.ThrowIfNull(consume);
        using var scrape = RenderPooled();
        return consume(scrape.Bytes);
    }

    /// <summary>A scrape as a byte array (tests, benchmarks).</summary>
    public byte[] Render() => Render(m => m.ToArray());

    /// <summary>One rendered scrape; its bytes are valid until disposed.</summary>
    public sealed class Scrape : IDisposable
    {
        private readonly PooledBufferWriter _buffer;

        internal Scrape(PooledBufferWriter buffer) => _buffer = buffer;

        public ReadOnlyMemory<byte> Bytes => _buffer.Written;

        public void Dispose() => _buffer.Dispose();
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over arrays of one pool: grows by doubling, returns every array it rented.</summary>
    internal sealed class PooledBufferWriter(ArrayPool<byte> pool, int initialCapacity) : IBufferWriter<byte>, IDisposable
    {
        private byte[] _array = pool.Rent(initialCapacity);
        private int _written;
        private bool _disposed;

        public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _written);

        public void Advance(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _array.Length - _written);
            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsSpan(_written);
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                pool.Return(_array);
                _array = [];
                _written = 0;
            }
        }

        private void Ensure(int sizeHint)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var needed = Math.Max(sizeHint, 1);
            if (_array.Length - _written >= needed)
            {
                return;
            }

            var grown = pool.Rent(Math.Max(_array.Length * 2, _written + needed));
            _array.AsSpan(0, _written).CopyTo(grown);
            pool.Return(_array);
            _array = grown;
        }
    }
}
