using System.Net.Sockets;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Server.Hosting;

/// <summary>
/// Runs the built-in STAMP reflector inside <c>serve</c> when configured (always in the quickstart,
/// on loopback). A bind failure is logged and reported by <c>/health</c>; it does not stop the
/// controller, whose other work does not depend on answering probes.
/// </summary>
public sealed partial class ReflectorService(PatronusConfiguration config, TimeProvider time, ProbeMetrics metrics, ILogger<ReflectorService> logger)
    : IHostedService, IAsyncDisposable
{
    private StampReflector? _reflector;

    /// <summary>Where the reflector listens; null when it is disabled or could not bind.</summary>
    public System.Net.IPEndPoint? LocalEndPoint => _reflector?.LocalEndPoint;

    /// <summary>Why the reflector is not running, when it should be.</summary>
    public string? Failure { get; private set; }

    public bool Enabled => config.ReflectorListen is not null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (config.ReflectorListen is not { } listen)
        {
            return Task.CompletedTask;
        }

        try
        {
            _reflector = StampReflector.Start(listen, time, metrics, logger);
            LogListening(logger, _reflector.LocalEndPoint);
        }
        catch (SocketException ex)
        {
            Failure = $"cannot listen on {listen}: {ex.Message}";
            LogBindFailed(logger, listen.ToString(), ex.Message);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _reflector, null) is { } reflector)
        {
            await reflector.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "STAMP reflector listening on {Endpoint}")]
    private static partial void LogListening(ILogger logger, System.Net.IPEndPoint endpoint);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "STAMP reflector cannot listen on {Endpoint}: {Reason}")]
    private static partial void LogBindFailed(ILogger logger, string endpoint, string reason);
}
