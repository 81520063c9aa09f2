using System.Security.Cryptography;
using System.Text;
using Patronus.Persistence.Idempotency;
using Patronus.Server.Security;

namespace Patronus.Server.Api;

/// <summary>
/// Safe retries of the REST API's writes (docs/ha.md): a POST, PUT, PATCH or DELETE under
/// <c>/api/v1</c> sent by an authenticated user with an <c>Idempotency-Key</c> header runs once; the
/// first result (status, content type, <c>Location</c>, body) is kept for <see cref="Lifetime"/> in the
/// shared store and every repeat of the key — on any node — gets it back, marked
/// <c>Idempotent-Replayed: true</c>. The key is scoped per user, method and path; the same key with
/// a different body or query answers 422. A repeat that arrives while the first still runs waits for
/// its result (polling the store) instead of running again; a first request whose node died leaves
/// its claim, which a repeat takes over once <see cref="ClaimTimeout"/> has passed. A write of the
/// topology, of a policy or of a user keeps its answer in its own transaction (<see cref="IdempotentWrite"/>,
/// <see cref="Writes"/>): once it has committed, a repeat replays it even if the node died before the
/// request ended; other requests (refused ones, BFD admin state) store their answer after. Results of 5xx are
/// not kept (the write may not have happened; a retry runs it). Runs after authorization, so a
/// refused request never claims a key; the auth endpoints (anonymous) ignore the header.
/// </summary>
public sealed partial class IdempotencyMiddleware
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>The header a replayed response carries.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>How long a result is kept for replay: 24 h (a client retrying later than that sends a new key).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a running request holds its key before a repeat may take it over: 10 s, far above any
    /// write's time (milliseconds) and below HAProxy's 30 s server timeout, so a retry whose first
    /// attempt died with its node still gets an answer. Compared across nodes on their wall clocks.
    /// </summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a repeat asks the store whether the first request has finished.</summary>
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(50);

    private const int MaxKeyLength = 255;

    private readonly RequestDelegate _next;
    private readonly IIdempotencyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<IdempotencyMiddleware> _logger;

    public IdempotencyMiddleware(RequestDelegate next, IIdempotencyStore store, TimeProvider time, ILogger<IdempotencyMiddleware> logger)
    {
        _next = next;
        _store = store;
        _time = time;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!request.Headers.TryGetValue(HeaderName, out var values) || !Applies(context))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        if (values.Count != 1 || !IsValidKey(values[0]))
        {
            await Problems.Invalid(HeaderName, $"one key of 1 to {MaxKeyLength} visible ASCII characters").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var user = context.User.FindFirst(PatronusClaims.Subject)?.Value ?? context.User.Identity?.Name ?? "";
        var key = new IdempotencyKey(user, request.Method.ToUpperInvariant(), request.Path.Value ?? "", values[0]!);
        var fingerprint = await FingerprintAsync(request, context.RequestAborted).ConfigureAwait(false);

        var waitingSince = _time.GetTimestamp();
        var waited = false;
        while (true)
        {
            var now = _time.GetUtcNow();
            var claim = await _store.ClaimIdempotencyKeyAsync(key, fingerprint, now + ClaimTimeout, now + Lifetime, context.RequestAborted).ConfigureAwait(false);
            switch (claim.Status)
            {
                case IdempotencyClaimStatus.Claimed:
                    if (waited)
                    {
                        LogTakenOver(_logger, key.Method, key.Path, user, key.Key);
                    }
                    else
                    {
                        LogClaimed(_logger, key.Method, key.Path, user, key.Key);
                    }

                    await RunAsync(context, key, fingerprint).ConfigureAwait(false);
                    return;
                case IdempotencyClaimStatus.Completed:
                    LogReplayed(_logger, key.Method, key.Path, user);
                    await ReplayAsync(context, claim.Response!).ConfigureAwait(false);
                    return;
                case IdempotencyClaimStatus.Mismatch:
                    await Problems.Status(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                        $"the key '{key.Key}' was already used for a different {key.Method} {key.Path} request (another body or query); send a new key for a new request")
                        .ExecuteAsync(context).ConfigureAwait(false);
                    return;
            }

            // Pending: the first request runs now (on this node or another). Its result comes, or its
            // claim runs out and the next round takes it over; past that, give up with 409.
            if (_time.GetElapsedTime(waitingSince) > ClaimTimeout + ClaimTimeout)
            {
                await Problems.Status(StatusCodes.Status409Conflict, "Idempotency-Key in use",
                    $"a request with the key '{key.Key}' is still running; retry later").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            waited = true;
            await Task.Delay(s_pollInterval, _time, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Writes under <c>/api/v1</c> by an authenticated user, except the auth endpoints.</summary>
    private static bool Applies(HttpContext context)
    {
        var request = context.Request;
        return (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method)) &&
            request.Path.StartsWithSegments(ApiEndpoints.Prefix, StringComparison.OrdinalIgnoreCase) &&
            !request.Path.StartsWithSegments(AuthEndpoints.Prefix, StringComparison.OrdinalIgnoreCase) &&
            context.User.Identity?.IsAuthenticated == true;
    }

    private static bool IsValidKey(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= MaxKeyLength && key.All(c => c is > ' ' and <= '~');

    /// <summary>SHA-256 of the query string and the body: what makes a repeat "the same request".</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.QueryString.Value ?? ""));
        hash.AppendData([0]);
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Runs the request with its response buffered, keeps it for replay (or gives the key up on 5xx and errors), then sends it.</summary>
    private async Task RunAsync(HttpContext context, IdempotencyKey key, string fingerprint)
    {
        var response = context.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;

        // A write that runs under the key keeps its answer in its own transaction (Writes, IdempotentWrite).
        var write = new IdempotentWrite(key, fingerprint, _time.GetUtcNow() + Lifetime);
        try
        {
            using (IdempotentWrite.Enter(write))
            {
                await _next(context).ConfigureAwait(false);
            }
        }
        catch
        {
            response.Body = original;
            await SettleAsync(key, fingerprint, null).ConfigureAwait(false);
            throw;
        }

        response.Body = original;
        var result = new StoredResponse(response.StatusCode, response.ContentType, response.Headers.Location.FirstOrDefault(), buffer.ToArray());
        if (write.Stored is null)
        {
            await SettleAsync(key, fingerprint, result).ConfigureAwait(false);
        }
        else
        {
            LogCompleted(_logger, key.Key, result.StatusCode);
        }

        // With its length, the answer is whole the moment its body is written — not chunked and
        // ended only after the outer middleware (the audit record) has run: a node killed in
        // between would leave the client a truncated 201 that no proxy may retry (the cluster lab
        // saw one on kill -9).
        response.ContentLength = result.Body.Length;
        await original.WriteAsync(result.Body, context.RequestAborted).ConfigureAwait(false);
        await original.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes the key with <paramref name="result"/>, or releases it when there is none or it is a
    /// 5xx. Not under the request's token: a client that hung up still gets its result on the retry. A
    /// store failure here is logged, not thrown: the write has happened and its answer goes out; the
    /// key stays pending until its claim runs out.
    /// </summary>
    private async Task SettleAsync(IdempotencyKey key, string fingerprint, StoredResponse? result)
    {
        try
        {
            if (result is { StatusCode: < 500 })
            {
                await _store.CompleteIdempotencyKeyAsync(key, fingerprint, result, _time.GetUtcNow() + Lifetime, CancellationToken.None).ConfigureAwait(false);
                LogCompleted(_logger, key.Key, result.StatusCode);
            }
            else
            {
                LogReleased(_logger, key.Method, key.Path, result?.StatusCode, key.Key);
                await _store.ReleaseIdempotencyKeyAsync(key, fingerprint, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
        {
            LogSettleFailed(_logger, ex, key.Method, key.Path);
        }
    }

    private static Task ReplayAsync(HttpContext context, StoredResponse stored)
    {
        context.Response.Headers[ReplayedHeader] = "true";
        return Writes.WriteAsync(context.Response, stored, context.RequestAborted);
    }

    [LoggerMessage(EventId = 750, Level = LogLevel.Debug, Message = "Replayed the stored result of {Method} {Path} for {User} (Idempotency-Key)")]
    private static partial void LogReplayed(ILogger logger, string method, string path, string user);

    [LoggerMessage(EventId = 754, Level = LogLevel.Information, Message = "{Method} {Path} for {User}: the first request with Idempotency-Key {Key} left its claim unfinished; running it again")]
    private static partial void LogTakenOver(ILogger logger, string method, string path, string user, string key);

    [LoggerMessage(EventId = 756, Level = LogLevel.Debug, Message = "{Method} {Path} for {User}: Idempotency-Key {Key} claimed, running")]
    private static partial void LogClaimed(ILogger logger, string method, string path, string user, string key);

    [LoggerMessage(EventId = 757, Level = LogLevel.Debug, Message = "Idempotency-Key {Key} done: result {Status} stored")]
    private static partial void LogCompleted(ILogger logger, string key, int status);

    [LoggerMessage(EventId = 755, Level = LogLevel.Information, Message = "{Method} {Path} ended with status {Status} (none: an exception): its Idempotency-Key {Key} is released, a retry runs it again")]
    private static partial void LogReleased(ILogger logger, string method, string path, int? status, string key);

    [LoggerMessage(EventId = 751, Level = LogLevel.Warning, Message = "Could not store the result of {Method} {Path} under its Idempotency-Key; a retry after the claim runs out may run it again")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string method, string path);
}
