namespace Patronus.GraphQL.Transport;

/// <summary>
/// Decides whether a <c>connection_init</c> is accepted. Gets the init message's payload (a JSON
/// object as plain .NET values, null when absent or null) and a token cancelled when the
/// connection closes. The session does not time this callback out: bound it yourself.
/// </summary>
public delegate ValueTask<GraphQLWsAuthResult> GraphQLWsAuthenticate(IReadOnlyDictionary<string, object?>? payload, CancellationToken cancellationToken);

/// <summary>The outcome of <see cref="GraphQLWsAuthenticate"/>.</summary>
/// <param name="Accepted">False closes the socket with 4403 Forbidden.</param>
/// <param name="UserContext">Handed to the executor as the context of every operation of the connection.</param>
/// <param name="AckPayload">Optional <c>payload</c> of the <c>connection_ack</c> message.</param>
public readonly record struct GraphQLWsAuthResult(bool Accepted, object? UserContext = null, IReadOnlyDictionary<string, object?>? AckPayload = null)
{
    /// <summary>Accepts the connection with a user context (and an optional ack payload).</summary>
    public static GraphQLWsAuthResult Accept(object? userContext = null, IReadOnlyDictionary<string, object?>? ackPayload = null) => new(true, userContext, ackPayload);

    /// <summary>Rejects the connection (close 4403 Forbidden).</summary>
    public static GraphQLWsAuthResult Reject() => new(false);
}

/// <summary>Options of <see cref="GraphQLWsSession"/> and <see cref="GraphQLWebSocket"/>.</summary>
public sealed record GraphQLWsOptions
{
    /// <summary>
    /// Accepts or rejects <c>connection_init</c> and supplies the user context (default null:
    /// every connection is accepted with a null context).
    /// </summary>
    public GraphQLWsAuthenticate? Authenticate { get; init; }

    /// <summary>
    /// How long after the session starts a <c>connection_init</c> must arrive before the socket is
    /// closed with 4408 (default 3 s, the reference server's <c>connectionInitWaitTimeout</c>).
    /// Only the message's arrival is timed, as in the reference server; the authenticate callback is not.
    /// </summary>
    public TimeSpan ConnectionInitWaitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Most operations active at once on one connection (default 100). A <c>subscribe</c> beyond it
    /// is answered with an <c>error</c> message for its id; the connection stays open.
    /// </summary>
    public int MaxConcurrentOperations { get; init; } = 100;

    /// <summary>
    /// Largest incoming message in bytes, after reassembling fragments (default 64 KiB). A larger one
    /// closes the socket with 1009 Message Too Big.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Most outgoing messages queued for the socket (default 256). When the client reads slower than
    /// operations produce, producers wait, so a slow client slows its own subscriptions (back-pressure)
    /// instead of growing server memory; 256 results absorb bursts without blocking.
    /// </summary>
    public int OutgoingQueueCapacity { get; init; } = 256;

    /// <summary>
    /// How long, once the session has decided to close, the WebSocket adapter waits to flush queued
    /// messages and for the client's close frame before aborting the socket (default 5 s).
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of the init timeout and close timeout (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Called for unexpected exceptions in the transport: an authenticate callback or a source stream
    /// that threw (for logging; default none). Never called for client mistakes or closed sockets.
    /// </summary>
    public Action<Exception>? OnUnhandledException { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectionInitWaitTimeout, TimeSpan.Zero, nameof(ConnectionInitWaitTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentOperations, nameof(MaxConcurrentOperations));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 128, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(OutgoingQueueCapacity, nameof(OutgoingQueueCapacity));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
