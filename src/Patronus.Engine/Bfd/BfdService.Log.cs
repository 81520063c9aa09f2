using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Bfd.Transport;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdService
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Error, Message = "BFD loop iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "BFD session {PathId}: {From} -> {To} (diagnostic {Diagnostic}, {Reason})")]
    private static partial void LogStateChange(ILogger logger, string pathId, Wire.BfdState from, Wire.BfdState to, Wire.BfdDiagnostic diagnostic, BfdStateChangeReason reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "BFD session {PathId} cannot start: {Error}; retrying every {RetrySeconds} s")]
    private static partial void LogOpenFailed(ILogger logger, string pathId, string error, double retrySeconds);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "BFD session {PathId}: {Local}:{SourcePort} -> {Peer}:{Port}, local discriminator {Discriminator}")]
    private static partial void LogOpened(ILogger logger, string pathId, IPAddress local, int sourcePort, IPAddress peer, int port, uint discriminator);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "BFD session {PathId} closed")]
    private static partial void LogClosed(ILogger logger, string pathId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "BFD packet from {Peer} to {Local} dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string reason, BfdAddress peer, BfdAddress local);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "BFD session {PathId}: send to {Peer} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string pathId, IPEndPoint peer, SocketError error);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "BFD loop thread runs at the process's priority: setpriority to nice {Nice} refused (errno {Errno})")]
    private static partial void LogPriorityNotRaised(ILogger logger, int nice, int errno);
}
