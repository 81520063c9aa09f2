using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Patronus.Server.Api;

/// <summary>
/// Kestrel refuses a few malformed requests itself, before any middleware runs, and answers with an
/// empty body: a malformed request line or header, a NUL (<c>%00</c>) in the path, a request line
/// over <see cref="RequestLimits.KestrelMaxRequestLineBytes"/>, headers over Kestrel's 32 KiB or 100
/// headers. It offers no hook for that answer (dotnet/aspnetcore#4726: "a connection adapter"), so
/// this connection middleware sits between Kestrel and the socket and gives exactly that answer a
/// problem-details body: a write that is a whole response head with status 400, 414 or 431,
/// <c>Content-Length: 0</c> and <c>Connection: close</c> — Kestrel's reject, the last thing on its
/// connection — is written again with the body. Every other write passes through unchanged (the
/// check is a prefix compare), and on a TLS or HTTP/2 connection nothing ever matches.
/// </summary>
public static class KestrelRejections
{
    private static readonly byte[] s_status = "HTTP/1.1 4"u8.ToArray();
    private static readonly byte[] s_emptyBody = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] s_close = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] s_end = "\r\n\r\n"u8.ToArray();

    /// <summary>Adds the middleware to an endpoint (<see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>).</summary>
    public static void Use(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new RewritingPipe(transport);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = transport;
            }
        });
    }

    /// <summary>
    /// When <paramref name="written"/> is one of Kestrel's bodiless rejects, the same response with a
    /// problem-details body (<c>application/problem+json</c>); otherwise null.
    /// </summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith(s_status) || !written.EndsWith(s_end) || written.IndexOf(s_end) != written.Length - s_end.Length ||
            written.IndexOf(s_emptyBody) < 0 || written.IndexOf(s_close) < 0 || written.Length < 12)
        {
            return null;
        }

        var (title, detail) = (written[9], written[10], written[11]) switch
        {
            ((byte)'4', (byte)'0', (byte)'0') => ("Bad request",
                "the request line or a header is malformed (for example a NUL byte, %00, in the path); the server refused it before reading it"),
            ((byte)'4', (byte)'1', (byte)'4') => ("Request line too long",
                $"the request line is longer than {RequestLimits.KestrelMaxRequestLineBytes} bytes"),
            ((byte)'4', (byte)'3', (byte)'1') => ("Request headers too large",
                "the request headers are over 32768 bytes or 100 fields"),
            _ => (null, null),
        };
        if (title is null)
        {
            return null;
        }

        var status = Encoding.ASCII.GetString(written[9..12]);
        var body = Encoding.UTF8.GetBytes(
            $$"""{"title":"{{title}}","status":{{status}},"detail":"{{detail}}"}""");
        var head = Encoding.ASCII.GetString(written).Replace(
            "\r\nContent-Length: 0\r\n", $"\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\n", StringComparison.Ordinal);
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    private sealed class RewritingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new RewritingWriter(inner.Output);
    }

    /// <summary>Hands out the inner writer's memory and looks at each write as it is committed.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _lent;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            // The rewritten answer replaces the lent bytes, which are then simply never committed.
            if (bytes > 0 && bytes <= _lent.Length && _lent.Span[0] == (byte)'H' && Rewrite(_lent.Span[..bytes]) is { } rewritten)
            {
                _lent = default;
                inner.Write(rewritten);
                return;
            }

            _lent = default;
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
