using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Patronus.Server.Api;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// The cluster lab's steady client: <see cref="Rate"/> requests per second through HAProxy, nine
/// reads to one write. A write creates a new site with an <c>Idempotency-Key</c> of its own, so a
/// retry HAProxy makes on another node replays the first answer instead of failing with 409.
/// Every answer other than 2xx, and every exception, counts as failed, with when and what.
/// </summary>
public sealed class ClusterLoad : IAsyncDisposable
{
    /// <summary>Requests per second asked for (issue 18: ~200).</summary>
    public const int Rate = 200;

    // 20 ticks a second, 10 requests each: fine enough that the rate holds within each second.
    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(50);
    private static readonly string[] s_reads = ["/api/v1/cluster", "/api/v1/paths", "/api/v1/sites/s", "/api/v1/failover/policies"];

    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _inFlight = [];
    private readonly ConcurrentQueue<LoadFailure> _failures = new();
    private readonly ConcurrentDictionary<string, byte> _created = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;
    private long _sent;
    private long _succeeded;
    private long _replayed;
    private long _maxLatencyTicks;

    public ClusterLoad(string baseUrl, string accessToken)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        _loop = RunAsync();
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Writes answered from the stored result (a retry of a write that had run).</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    public TimeSpan MaxLatency => TimeSpan.FromTicks(Interlocked.Read(ref _maxLatencyTicks));

    public IReadOnlyCollection<LoadFailure> Failures => _failures;

    /// <summary>Time since the load started, the clock of <see cref="LoadFailure.At"/>.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Ids of the sites the client was told were created (201).</summary>
    public IReadOnlyCollection<string> Created => (IReadOnlyCollection<string>)_created.Keys;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(s_tick);
        var n = 0L;
        while (true)
        {
            await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);

            // Catch up on late ticks (a loaded box), so the rate is per second of wall time.
            var due = (long)(_clock.Elapsed.TotalSeconds * Rate);
            while (n < due)
            {
                _inFlight.Add(SendAsync(n++));
            }
        }
    }

    private async Task SendAsync(long n)
    {
        Interlocked.Increment(ref _sent);
        var sentAt = _clock.Elapsed;
        var started = Stopwatch.GetTimestamp();
        var write = n % 10 == 0;
        var id = $"w{n}";
        using var request = write
            ? new HttpRequestMessage(HttpMethod.Post, "/api/v1/sites") { Content = new StringContent($$"""{"id":"{{id}}"}""", Encoding.UTF8, "application/json") }
            : new HttpRequestMessage(HttpMethod.Get, s_reads[n % s_reads.Length]);
        if (write)
        {
            request.Headers.Add(IdempotencyMiddleware.HeaderName, new LoadFailure(TimeSpan.Zero, id, null, "").Key);
        }

        try
        {
            using var response = await _http.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            if (write ? response.StatusCode == HttpStatusCode.Created : response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _succeeded);
                if (write)
                {
                    _created[id] = 0;
                    if (response.Headers.Contains(IdempotencyMiddleware.ReplayedHeader))
                    {
                        Interlocked.Increment(ref _replayed);
                    }
                }
            }
            else
            {
                _failures.Enqueue(new LoadFailure(sentAt, write ? id : null, (int)response.StatusCode,
                    $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}"));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            _failures.Enqueue(new LoadFailure(sentAt, write ? id : null, null, $"{request.Method} {request.RequestUri}: {ex.GetType().Name} {ex.Message}"));
        }

        var elapsed = Stopwatch.GetElapsedTime(started).Ticks;
        long seen;
        while (elapsed > (seen = Interlocked.Read(ref _maxLatencyTicks)) && Interlocked.CompareExchange(ref _maxLatencyTicks, elapsed, seen) != seen)
        {
            // another request raised it meanwhile: compare again
        }
    }

    /// <summary>Stops sending and waits for every request in flight to end (each is bounded by the client's timeout); returns how long it sent.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        var sending = _clock.Elapsed;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the way the loop ends
        }

        await Task.WhenAll(_inFlight).ConfigureAwait(false);
        return sending;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A request of <see cref="ClusterLoad"/> that did not succeed: when it was sent (since the load started), the site a write created (null for a read), the status (null: no answer).</summary>
public sealed record LoadFailure(TimeSpan At, string? Site, int? Status, string Detail)
{
    /// <summary>The key the write was sent with.</summary>
    public string? Key => Site is null ? null : $"create-{Site}";

    public override string ToString() => $"{At.TotalSeconds:F2}s {Detail}";
}
