using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>ICMP probe log messages, event ids 3100–3119.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Shared ICMP socket opened ({Binding})")]
    public static partial void SocketOpened(ILogger logger, LocalBinding binding);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Shared ICMP socket closed ({Binding}): no session left")]
    public static partial void SocketClosed(ILogger logger, LocalBinding binding);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "ICMP receive loop ({Binding}) iteration failed; carrying on")]
    public static partial void ReceiveFailed(ILogger logger, LocalBinding binding, Exception exception);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "ICMP datagram dropped ({Binding}): {Reason}")]
    public static partial void Dropped(ILogger logger, LocalBinding binding, string reason);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "ICMP probe {PathId}/{TargetIndex} sequence {Sequence} not sent: {Error}")]
    public static partial void SendFailed(ILogger logger, string pathId, int targetIndex, uint sequence, SocketError error);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "ICMP kernel type filter not set ({Binding}): {Error}; non-reply ICMP reaches the receive loop and is dropped there")]
    public static partial void FilterNotSet(ILogger logger, LocalBinding binding, SocketError error);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "ICMP session {PathId}/{TargetIndex} to {Remote} opened with identifier {Identifier}")]
    public static partial void SessionOpened(ILogger logger, string pathId, int targetIndex, IPAddress remote, ushort identifier);
}
