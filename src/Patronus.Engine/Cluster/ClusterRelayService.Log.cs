using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Cluster;

public sealed partial class ClusterRelayService
{
    // EventIds 920–939: the cluster relay.
    private static partial class Log
    {
        [LoggerMessage(EventId = 920, Level = LogLevel.Warning, Message = "Cluster relay: the listener's connection was lost; listening again every second (events are read back from the store when it answers)")]
        public static partial void ListenerLost(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 921, Level = LogLevel.Information, Message = "Cluster relay: listening again; caught up from the store")]
        public static partial void ListenerRecovered(ILogger logger);

        [LoggerMessage(EventId = 922, Level = LogLevel.Warning, Message = "Cluster relay: {Capacity} notifications waiting; dropping and asking the leader for its whole state")]
        public static partial void InboundFull(ILogger logger, int capacity);

        [LoggerMessage(EventId = 923, Level = LogLevel.Debug, Message = "Cluster relay: dropped a malformed notification of {Length} characters")]
        public static partial void Malformed(ILogger logger, int length);

        [LoggerMessage(EventId = 924, Level = LogLevel.Debug, Message = "Cluster relay: dropped health from {NodeId} under the stale term {Term}")]
        public static partial void StaleHealth(ILogger logger, string nodeId, long term);

        [LoggerMessage(EventId = 925, Level = LogLevel.Warning, Message = "Cluster relay: reading failover events from the store failed; retrying")]
        public static partial void CatchUpFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 926, Level = LogLevel.Warning, Message = "Cluster relay: sending failed; the next round sends the whole state")]
        public static partial void SendFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 927, Level = LogLevel.Warning, Message = "Cluster relay: handling a notification failed")]
        public static partial void HandleFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 928, Level = LogLevel.Debug, Message = "Cluster relay: dropped failback hold-downs from {NodeId} under the stale term {Term}")]
        public static partial void StaleHoldDowns(ILogger logger, string nodeId, long term);
    }
}
