using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Patronus.Persistence;

/// <summary>
/// Store instruments (meter <c>Patronus.Store</c>): the duration of every store operation and
/// the operations that failed with an exception (a refused write — not found, conflict — is a
/// result, not an error), labelled by operation (<c>insert_path_health</c>, <c>get_failover_events</c>…).
/// <see cref="Instrument{TPort}"/> wraps one storage port so that every method of it, present and
/// future, is measured without a hand-written decorator to keep in step; operation names are unique
/// across ports, so one meter serves them all.
/// </summary>
public sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "Patronus.Store";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;

    public StoreMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _duration = _meter.CreateHistogram<double>("patronus.store.query.duration", "s", "Store operation duration by operation");
        _errors = _meter.CreateCounter<long>("patronus.store.errors", "{error}", "Store operations that failed with an exception, by operation");
    }

    /// <summary>The port <typeparamref name="TPort"/> of <paramref name="store"/>, measuring every call into it.</summary>
    public TPort Instrument<TPort>(TPort store)
        where TPort : class
    {
        ArgumentNullException.ThrowIfNull(store);
        var proxy = DispatchProxy.Create<TPort, MeasuringProxy>();
        ((MeasuringProxy)(object)proxy).Initialize(store, this);
        return proxy;
    }

    public void Dispose() => _meter.Dispose();

    internal void Completed(string operation, long started, bool failed)
    {
        var tag = new KeyValuePair<string, object?>("operation", operation);
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
        if (failed)
        {
            _errors.Add(1, tag);
        }
    }

    /// <summary>Times each call; for a Task result, until the task completes. Public and unsealed: DispatchProxy derives from it.</summary>
#pragma warning disable CA1852 // DispatchProxy generates a subclass at run time
    public class MeasuringProxy : DispatchProxy
#pragma warning restore CA1852
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodInfo, string> s_names = new();
        private object? _inner;
        private StoreMetrics? _metrics;

        internal void Initialize(object inner, StoreMetrics metrics)
        {
            _inner = inner;
            _metrics = metrics;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            var inner = _inner!;
            if (!typeof(Task).IsAssignableFrom(targetMethod.ReturnType))
            {
                // Properties, streamed reads: not operations worth a series.
                return Unwrap(() => targetMethod.Invoke(inner, args));
            }

            var operation = s_names.GetOrAdd(targetMethod, static m => Snake(m.Name.EndsWith("Async", StringComparison.Ordinal) ? m.Name[..^5] : m.Name));
            var started = Stopwatch.GetTimestamp();
            Task task;
            try
            {
                task = (Task)Unwrap(() => targetMethod.Invoke(inner, args))!;
            }
            catch
            {
                _metrics!.Completed(operation, started, failed: true);
                throw;
            }

            var metrics = _metrics!;
            _ = task.ContinueWith(static (t, state) =>
            {
                var (m, op, start) = ((StoreMetrics, string, long))state!;
                m.Completed(op, start, failed: t.IsFaulted);
            }, (metrics, operation, started), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }

        // Reflection wraps what the store throws; the caller must see the store's own exception.
        private static object? Unwrap(Func<object?> call)
        {
            try
            {
                return call();
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        private static string Snake(string name)
        {
            var builder = new System.Text.StringBuilder(name.Length + 8);
            for (var i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(name[i]));
            }

            return builder.ToString();
        }
    }
}
