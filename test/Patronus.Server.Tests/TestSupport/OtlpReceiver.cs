using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Patronus.Server.Tests.TestSupport;

/// <summary>
/// A minimal OTLP/HTTP trace receiver on a real loopback socket: accepts <c>POST /v1/traces</c>
/// with <c>application/x-protobuf</c>, decodes each <c>ExportTraceServiceRequest</c> and keeps the
/// spans. Answers 200 with an empty <c>ExportTraceServiceResponse</c> (full success), 415 for other
/// content types and 400 for a body that does not decode (remembered in <see cref="Rejected"/>).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<string> _rejected = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>Base URL (<c>http://127.0.0.1:PORT</c>): the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = "";

    public IReadOnlyCollection<OtlpSpan> Spans => [.. _spans];

    /// <summary>Why requests were refused (content type, undecodable body); empty when all went well.</summary>
    public IReadOnlyCollection<string> Rejected => [.. _rejected];

    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", (Func<HttpContext, Task<IResult>>)receiver.ReceiveAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (context.Request.ContentType != "application/x-protobuf")
        {
            _rejected.Enqueue($"content type {context.Request.ContentType}");
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (!OtlpTraceDecoder.TryDecode(body.GetBuffer().AsSpan(0, (int)body.Length), out var spans))
        {
            _rejected.Enqueue($"undecodable body of {body.Length} bytes: {Convert.ToHexString(body.GetBuffer(), 0, (int)Math.Min(body.Length, 64))}");
            return Results.BadRequest();
        }

        foreach (var span in spans)
        {
            _spans.Enqueue(span);
        }

        Interlocked.Exchange(ref _arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return Results.Bytes([], "application/x-protobuf");
    }

    /// <summary>Waits until a received span matches, or fails at the deadline listing what did arrive.</summary>
    public async Task<OtlpSpan> WaitForSpanAsync(Func<OtlpSpan, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var arrived = Volatile.Read(ref _arrived).Task; // taken before looking, so a batch in between is not missed
            if (_spans.FirstOrDefault(match) is { } span)
            {
                return span;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"no span {what} within {timeout}; {Requests} requests, rejected: [{string.Join("; ", Rejected)}], received {_spans.Count}:\n" +
                    string.Join("\n", _spans.Select(s => s.ToString()).Distinct().Take(40)));
            }

            await Task.WhenAny(arrived, Task.Delay(left));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
