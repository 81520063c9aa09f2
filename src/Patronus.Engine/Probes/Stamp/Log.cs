using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>STAMP log messages (EventIds 3200–3299).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "STAMP reflector listening on udp {EndPoint} (Session-Sender TTL reported: {ReportsTtl})")]
    public static partial void ReflectorStarted(ILogger logger, IPEndPoint endPoint, bool reportsTtl);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "STAMP reflector on udp {EndPoint} stopped")]
    public static partial void ReflectorStopped(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "STAMP reflector dropped a {Length}-octet datagram from {Source}: {Reason}")]
    public static partial void ReflectorDropped(ILogger logger, int length, string source, string reason);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "STAMP reflector receive loop error; continuing")]
    public static partial void ReflectorLoopError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Debug, Message = "STAMP reflector could not send a reply to {Destination}: errno {Errno}")]
    public static partial void ReflectorSendFailed(ILogger logger, string destination, int errno);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "STAMP reflector cannot read the received TTL ({Error}); Session-Sender TTL will be 0")]
    public static partial void ReflectorNoTtl(ILogger logger, string error);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Information, Message = "STAMP reflector on udp {EndPoint}: socket receive buffer {Obtained} octets as the kernel counts it (asked for {Requested}; past net.core.rmem_max with SO_RCVBUFFORCE: {Forced})")]
    public static partial void ReflectorReceiveBuffer(ILogger logger, IPEndPoint endPoint, int obtained, int requested, bool forced);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Debug, Message = "STAMP session {PathId}/{TargetIndex} to {Remote} dropped a {Length}-octet datagram: {Reason}")]
    public static partial void SessionDropped(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, int length, string reason);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Debug, Message = "STAMP session {PathId}/{TargetIndex} to {Remote}: probe {Sequence} not sent ({Error})")]
    public static partial void SessionSendFailed(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, uint sequence, SocketError error);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Debug, Message = "Shared STAMP socket ({Binding}): receive reported {Error}; continuing")]
    public static partial void SocketReceiveError(ILogger logger, LocalBinding binding, SocketError error);

    [LoggerMessage(EventId = 3213, Level = LogLevel.Warning, Message = "Shared STAMP socket ({Binding}): receive loop error; continuing")]
    public static partial void SocketLoopError(ILogger logger, LocalBinding binding, Exception exception);

    [LoggerMessage(EventId = 3214, Level = LogLevel.Debug, Message = "Shared STAMP socket opened ({Binding}, local {Local}, receive buffer {ReceiveBuffer} octets, socket {Index} of the link)")]
    public static partial void SocketOpened(ILogger logger, LocalBinding binding, IPEndPoint local, int receiveBuffer, int index);

    [LoggerMessage(EventId = 3215, Level = LogLevel.Debug, Message = "Shared STAMP socket closed ({Binding}): no session left")]
    public static partial void SocketClosed(ILogger logger, LocalBinding binding);

    [LoggerMessage(EventId = 3216, Level = LogLevel.Debug, Message = "Shared STAMP socket ({Binding}) dropped a {Length}-octet datagram from {Source}: {Reason}")]
    public static partial void SocketDropped(ILogger logger, LocalBinding binding, int length, string source, string reason);

    [LoggerMessage(EventId = 3217, Level = LogLevel.Warning, Message = "STAMP probes of {PathId}/{TargetIndex} to {Remote} cannot be sent ({Error}); they count as lost until a send succeeds")]
    public static partial void SessionSendFailing(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, SocketError error);

    [LoggerMessage(EventId = 3218, Level = LogLevel.Information, Message = "STAMP probes of {PathId}/{TargetIndex} to {Remote} are sent again")]
    public static partial void SessionSendRecovered(ILogger logger, string pathId, int targetIndex, IPEndPoint remote);
}
