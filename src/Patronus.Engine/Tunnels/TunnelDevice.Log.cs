using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Tunnels;

public sealed partial class TunnelDevice
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Tunnel {Tunnel}: dropped a packet of peer {Peer}: {Reason}")]
    private static partial void LogDropped(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, TunnelDropReason reason);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Tunnel {Tunnel}: handshake initiation to peer {Peer} at {Endpoint} (retry {IsRetry})")]
    private static partial void LogInitiationSent(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, TunnelEndpoint endpoint, bool isRetry);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Tunnel {Tunnel}: handshake response to peer {Peer} at {Endpoint}")]
    private static partial void LogResponseSent(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, TunnelEndpoint endpoint);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Tunnel {Tunnel}: handshake with peer {Peer} at {Endpoint} complete")]
    private static partial void LogHandshakeComplete(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, TunnelEndpoint endpoint);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Tunnel {Tunnel}: no handshake with peer {Peer} after {Seconds} s; its queued packets are dropped")]
    private static partial void LogHandshakeGaveUp(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, double seconds);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Tunnel {Tunnel}: cannot build a handshake initiation for peer {Peer} (its public key is a low-order point)")]
    private static partial void LogHandshakeFailed(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Tunnel {Tunnel}: peer {Peer} now on path {Path} (was {Previous})")]
    private static partial void LogPathChanged(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer, string path, string previous);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Tunnel {Tunnel}: peer {Peer} sends Patronus data messages but is not configured as Patronus here; they are dropped (reason patronus_not_configured). Set Patronus: true for the peer on both sides, or off on its side")]
    private static partial void LogPatronusNotConfigured(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Tunnel {Tunnel}: peer {Peer} is configured as Patronus but sends plain WireGuard packets (not Patronus on its side yet); accepted, without path measurement")]
    private static partial void LogPatronusPeerSendsPlain(Microsoft.Extensions.Logging.ILogger logger, string tunnel, string peer);
}
