using System.Text;

namespace Patronus.GraphQL.Transport;

/// <summary>
/// Names and close codes of the <c>graphql-transport-ws</c> protocol
/// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
/// </summary>
public static class GraphQLWsProtocol
{
    /// <summary>The WebSocket sub-protocol the host must select during the upgrade.</summary>
    public const string SubProtocol = "graphql-transport-ws";

    /// <summary>Client → server: asks for a connection; its payload goes to the authenticate callback.</summary>
    public const string ConnectionInit = "connection_init";

    /// <summary>Server → client: the connection is accepted.</summary>
    public const string ConnectionAck = "connection_ack";

    /// <summary>Bidirectional: answered with <see cref="Pong"/>, at any time (even before init).</summary>
    public const string Ping = "ping";

    /// <summary>Bidirectional: an answer to <see cref="Ping"/> or a unidirectional heartbeat; never answered.</summary>
    public const string Pong = "pong";

    /// <summary>Client → server: starts an operation under a client-chosen id.</summary>
    public const string Subscribe = "subscribe";

    /// <summary>Server → client: one execution result of an operation.</summary>
    public const string Next = "next";

    /// <summary>Server → client: the operation failed before or during execution; ends it (no complete follows).</summary>
    public const string Error = "error";

    /// <summary>Bidirectional: the server finished the operation, or the client stopped listening.</summary>
    public const string Complete = "complete";
}

/// <summary>Close codes the session uses (protocol codes 44xx/4500 and two WebSocket codes).</summary>
public static class GraphQLWsCloseCodes
{
    /// <summary>1000: the connection ended normally (the client closed, or the session was disposed).</summary>
    public const int NormalClosure = 1000;

    /// <summary>1001: the host is shutting down.</summary>
    public const int GoingAway = 1001;

    /// <summary>
    /// 1006: the socket failed (reset, aborted, protocol error) without a close handshake. Only
    /// reported by <see cref="GraphQLWsSession.Closed"/>; never sent.
    /// </summary>
    public const int AbnormalClosure = 1006;

    /// <summary>1009: a message exceeded <see cref="GraphQLWsOptions.MaxMessageBytes"/>.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>4400: the message is not valid JSON, has an unknown type or missing/invalid fields, or is binary.</summary>
    public const int BadRequest = 4400;

    /// <summary>4401: subscribe before the connection was acknowledged.</summary>
    public const int Unauthorized = 4401;

    /// <summary>4403: the authenticate callback rejected <c>connection_init</c>.</summary>
    public const int Forbidden = 4403;

    /// <summary>4408: no <c>connection_init</c> within <see cref="GraphQLWsOptions.ConnectionInitWaitTimeout"/>.</summary>
    public const int ConnectionInitialisationTimeout = 4408;

    /// <summary>4409: subscribe with the id of an operation that is still active.</summary>
    public const int SubscriberAlreadyExists = 4409;

    /// <summary>4429: a second <c>connection_init</c>.</summary>
    public const int TooManyInitialisationRequests = 4429;

    /// <summary>4500: the authenticate callback threw.</summary>
    public const int InternalServerError = 4500;
}

/// <summary>
/// The session's decision to close the socket: a WebSocket close code and a reason of at most
/// 123 UTF-8 bytes (RFC 6455 §5.5: a control frame's payload is at most 125 bytes).
/// </summary>
public readonly record struct GraphQLWsClose
{
    /// <summary>Longest close reason a WebSocket close frame can carry, in UTF-8 bytes.</summary>
    public const int MaxReasonBytes = 123;

    /// <summary>A close decision; a reason longer than <see cref="MaxReasonBytes"/> is cut at a character boundary.</summary>
    public GraphQLWsClose(int code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Code = code;
        Reason = Limit(reason);
    }

    /// <summary>The close code (see <see cref="GraphQLWsCloseCodes"/>).</summary>
    public int Code { get; }

    /// <summary>The close reason.</summary>
    public string Reason { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Reason}";

    private static string Limit(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= MaxReasonBytes)
        {
            return reason;
        }

        // Every char is at least one UTF-8 byte, so start at most MaxReasonBytes chars in.
        var length = Math.Min(reason.Length, MaxReasonBytes);
        while (length > 0 && Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > MaxReasonBytes - 3)
        {
            length--;
        }

        if (length > 0 && char.IsHighSurrogate(reason[length - 1]))
        {
            length--;
        }

        return string.Concat(reason.AsSpan(0, length), "...");
    }
}
