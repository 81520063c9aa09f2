namespace Patronus.Server.Observability;

internal sealed partial class RuntimeSuspensionWatch
{
    [LoggerMessage(EventId = 150, Level = LogLevel.Warning,
        Message = "The runtime suspended every managed thread for {DurationMs:F1} ms (reason {Reason}, code {ReasonCode}; {WaitMs:F1} ms of it waiting for threads to reach a safe point): BFD, probes and the API stood still as long")]
    private static partial void LogLongSuspension(ILogger logger, double durationMs, string reason, uint reasonCode, double waitMs);
}
