using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

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

    [LoggerMessage(EventId = 3210, Level = LogLevel.Debug, Message = "STAMP session {PathId}/{TargetIndex} to {Remote} dropped a {Length}-octet datagram: {Reason}")]
    public static partial void SessionDropped(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, int length, string reason);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Debug, Message = "STAMP session {PathId}/{TargetIndex} to {Remote}: probe {Sequence} not sent ({Error})")]
    public static partial void SessionSendFailed(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, uint sequence, SocketError error);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Debug, Message = "STAMP session {PathId}/{TargetIndex} to {Remote}: receive reported {Error} (ICMP error from the path); continuing")]
    public static partial void SessionReceiveError(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, SocketError error);

    [LoggerMessage(EventId = 3213, Level = LogLevel.Warning, Message = "STAMP session {PathId}/{TargetIndex} to {Remote}: receive loop error; continuing")]
    public static partial void SessionLoopError(ILogger logger, string pathId, int targetIndex, IPEndPoint remote, Exception exception);
}
