using System.Buffers;
using System.Net.WebSockets;
using Patronus.GraphQL.Execution;

namespace Patronus.GraphQL.Transport;

/// <summary>
/// Serves one <c>graphql-transport-ws</c> connection over an accepted <see cref="WebSocket"/>
/// (the host selects <see cref="SubProtocol"/> during the upgrade). One receive loop feeds a
/// <see cref="GraphQLWsSession"/>; one send loop is the socket's only writer, so operations
/// run concurrently while frames never interleave.
/// </summary>
public static class GraphQLWebSocket
{
    /// <summary>The sub-protocol to accept during the upgrade: <c>graphql-transport-ws</c>.</summary>
    public const string SubProtocol = GraphQLWsProtocol.SubProtocol;

    private const int InitialReceiveBufferBytes = 4096;

    /// <summary>
    /// Runs the connection until it closes: the client closes, the session closes it for a protocol
    /// violation (close codes of <see cref="GraphQLWsCloseCodes"/>; binary frames → 4400, messages over
    /// <see cref="GraphQLWsOptions.MaxMessageBytes"/> → 1009), the socket fails, or
    /// <paramref name="cancellationToken"/> fires (close 1001). Every operation is cancelled and has
    /// ended when this returns. Never throws for connection problems; the caller disposes the socket.
    /// </summary>
    /// <returns>The close decision (1006 when the socket failed without a close handshake).</returns>
    public static async Task<GraphQLWsClose> RunAsync(WebSocket socket, Executor executor, GraphQLWsOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        var session = new GraphQLWsSession(executor, options);
        try
        {
            using var shutdown = cancellationToken.Register(
                static state => ((GraphQLWsSession)state!).Close(new GraphQLWsClose(GraphQLWsCloseCodes.GoingAway, "Server shutting down")),
                session);
            var receiving = ReceiveLoopAsync(socket, session, options);
            var sending = SendLoopAsync(socket, session, options);

            // Each loop closes the session on its way out, so this always completes.
            var close = await session.Closed.ConfigureAwait(false);

            // Flushing queued messages and the close handshake get a bounded time: a client that
            // stops reading or never answers our close frame is aborted.
            var loops = Task.WhenAll(receiving, sending);
            try
            {
                await loops.WaitAsync(options.CloseTimeout, options.TimeProvider, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                socket.Abort();
                await loops.ConfigureAwait(false);
            }

            return close;
        }
        finally
        {
            await DisposeSessionAsync(session, options).ConfigureAwait(false);
        }
    }

    // Operations end once they observe cancellation; one whose source ignores its token must not keep
    // the connection (and the host's request) alive, so it is reported and left to end on its own.
    private static async Task DisposeSessionAsync(GraphQLWsSession session, GraphQLWsOptions options)
    {
        try
        {
            await session.DisposeAsync().AsTask().WaitAsync(options.CloseTimeout, options.TimeProvider, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            options.OnUnhandledException?.Invoke(new TimeoutException("GraphQL over WebSocket: operations did not end within CloseTimeout after the connection closed (a source stream ignores its cancellation token?).", e));
        }
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, GraphQLWsSession session, GraphQLWsOptions options)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBufferBytes, options.MaxMessageBytes + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    // Grow by doubling up to one byte past the limit, so an oversized message shows.
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxMessageBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // No token: cancelling a pending receive aborts the socket; shutdown closes the session instead.
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    session.Close(new GraphQLWsClose(GraphQLWsCloseCodes.NormalClosure, "Normal Closure"));
                    return;
                }

                if (session.IsClosed)
                {
                    // Closing: discard everything until the client's close frame.
                    length = 0;
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    session.Close(new GraphQLWsClose(GraphQLWsCloseCodes.BadRequest, "Invalid message received: binary messages are not supported"));
                    length = 0;
                    continue;
                }

                length += result.Count;
                if (length > options.MaxMessageBytes)
                {
                    session.Close(new GraphQLWsClose(GraphQLWsCloseCodes.MessageTooBig, $"Message too big: at most {options.MaxMessageBytes} bytes"));
                    length = 0;
                    continue;
                }

                if (result.EndOfMessage)
                {
                    await session.ReceiveAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                    length = 0;
                }
            }
        }
        catch (Exception e)
        {
            Fail(socket, session, options, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task SendLoopAsync(WebSocket socket, GraphQLWsSession session, GraphQLWsOptions options)
    {
        try
        {
            await foreach (var message in session.Outgoing.ReadAllAsync().ConfigureAwait(false))
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }

            var close = await session.Closed.ConfigureAwait(false);
            if (close.Code != GraphQLWsCloseCodes.AbnormalClosure && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync((WebSocketCloseStatus)close.Code, close.Reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Fail(socket, session, options, e);
        }
    }

    // The socket is unusable: end the session and unblock the other loop. A failing socket is
    // expected (the client vanished); anything else is a bug worth reporting, but never thrown.
    private static void Fail(WebSocket socket, GraphQLWsSession session, GraphQLWsOptions options, Exception exception)
    {
        if (exception is not (WebSocketException or ObjectDisposedException or OperationCanceledException or IOException))
        {
            options.OnUnhandledException?.Invoke(exception);
        }

        session.Close(new GraphQLWsClose(GraphQLWsCloseCodes.AbnormalClosure, "Connection failed"));
        socket.Abort();
    }
}
