using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Traffic;

/// <summary>Traffic accounting log messages, event ids 6200–6219.</summary>
public sealed partial class TrafficAccountingService
{
    [LoggerMessage(EventId = 6200, Level = LogLevel.Information, Message = "Traffic accounting is off: {Reason}; traffic counters read as absent")]
    private static partial void LogOff(ILogger logger, string reason);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Traffic accounting on: table {Family} {Table}, {Policies} policies, {Counted} of {Paths} paths counted")]
    private static partial void LogOn(ILogger logger, string family, string table, int policies, int counted, int paths);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Debug, Message = "Traffic accounting table rebuilt in place: {Policies} policies, {Counted} paths counted")]
    private static partial void LogRebuilt(ILogger logger, int policies, int counted);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning, Message = "Traffic accounting table could not be rebuilt in place ({Error}); recreating it, totals carried over")]
    private static partial void LogUpdateFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6204, Level = LogLevel.Warning, Message = "Traffic accounting table not installed: {Error}; trying again in {RetrySeconds} s")]
    private static partial void LogCreateFailed(ILogger logger, string error, double retrySeconds);

    [LoggerMessage(EventId = 6205, Level = LogLevel.Warning, Message = "Reading the traffic counters failed: {Error}; the last snapshot stays")]
    private static partial void LogReadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6206, Level = LogLevel.Debug, Message = "Reading the traffic counters failed again: {Error}")]
    private static partial void LogReadFailedAgain(ILogger logger, string error);

    [LoggerMessage(EventId = 6207, Level = LogLevel.Warning, Message = "Traffic accounting table changed outside Patronus (missing counters: {Missing}); recreating it, totals carried over")]
    private static partial void LogTableChanged(ILogger logger, string missing);

    [LoggerMessage(EventId = 6208, Level = LogLevel.Warning, Message = "{Count} traffic counters went backwards (reset outside Patronus); totals carried over, packets since the previous read are lost")]
    private static partial void LogUnexpectedReset(ILogger logger, long count);

    [LoggerMessage(EventId = 6209, Level = LogLevel.Information, Message = "Path {PathId} is not counted: {Reason}")]
    private static partial void LogPathNotCounted(ILogger logger, string pathId, string reason);

    [LoggerMessage(EventId = 6210, Level = LogLevel.Information, Message = "Active flows are not counted: {Reason}")]
    private static partial void LogFlowsUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 6211, Level = LogLevel.Information, Message = "Active flows are counted again")]
    private static partial void LogFlowsBack(ILogger logger);

    [LoggerMessage(EventId = 6212, Level = LogLevel.Debug, Message = "{Count} lines of {Path} could not be read and were skipped")]
    private static partial void LogConntrackMalformed(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 6213, Level = LogLevel.Debug, Message = "Traffic accounting table removed")]
    private static partial void LogRemoved(ILogger logger);

    [LoggerMessage(EventId = 6214, Level = LogLevel.Warning, Message = "Traffic accounting table could not be removed at shutdown: {Error}")]
    private static partial void LogRemoveFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6216, Level = LogLevel.Information, Message = "Traffic accounting table recreated ({Policies} policies, {Counted} paths counted); totals carried over")]
    private static partial void LogRecreated(ILogger logger, int policies, int counted);

    [LoggerMessage(EventId = 6217, Level = LogLevel.Debug, Message = "Traffic counters are read through {Source}: {Why}")]
    private static partial void LogCounterSource(ILogger logger, string source, string why);

    [LoggerMessage(EventId = 6218, Level = LogLevel.Warning, Message = "Traffic counters are read through nft, one process per read: nfnetlink could not be opened ({Error})")]
    private static partial void LogCounterFallback(ILogger logger, string error);

    [LoggerMessage(EventId = 6215, Level = LogLevel.Error, Message = "Traffic accounting loop iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);
}
