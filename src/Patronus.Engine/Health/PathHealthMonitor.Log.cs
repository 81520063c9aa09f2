using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Health;

// EventIds 300–349: health monitoring.
public sealed partial class PathHealthMonitor
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Monitoring {Paths} paths ({Targets} targets)")]
    private static partial void LogTopologyApplied(ILogger logger, int paths, int targets);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Path {PathId} {From} → {To} (score {Score:0.0}: {Reason})")]
    private static partial void LogTransition(ILogger logger, string pathId, string from, PathStatus to, double score, string reason);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "{Count} paths {From} → {To} at once (e.g. {Examples}; the first: {Reason})")]
    private static partial void LogTransitionSummary(ILogger logger, int count, string from, PathStatus to, string examples, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Cannot probe path {PathId} target {Target}: {Failure}; retrying")]
    private static partial void LogSessionFailed(ILogger logger, string pathId, string target, string failure);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "ICMP probes are not available ({Why}; they need root or CAP_NET_RAW): path {PathId} and other ICMP paths probe with STAMP (UDP 862) instead")]
    private static partial void LogIcmpFallback(ILogger logger, string pathId, string why);

    [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "Health monitor iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);
}
