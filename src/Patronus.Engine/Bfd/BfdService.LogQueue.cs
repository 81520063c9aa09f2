using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdService
{
    private readonly Channel<Action> _logQueue = Channel.CreateBounded<Action>(
        new BoundedChannelOptions(LogQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private long _logLinesDropped;

    /// <summary>
    /// Hands an Information-level log line to the writer task instead of writing it on the loop
    /// thread: the console logger blocks its caller when its own queue is full (2,500 lines), and a
    /// burst of state changes (1,000 sessions opening at launch, or flapping) would then stall the
    /// loop past its Detection Times and make the burst worse. A full queue drops the line and
    /// counts it; the writer reports the count.
    /// </summary>
    private void Defer(Action log)
    {
        if (!_logQueue.Writer.TryWrite(log))
        {
            Interlocked.Increment(ref _logLinesDropped);
        }
    }

    private async Task WriteLogsAsync()
    {
        await foreach (var log in _logQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                log();
                if (Interlocked.Exchange(ref _logLinesDropped, 0) is var dropped and > 0)
                {
                    LogLinesDropped(_logger, dropped);
                }
            }
#pragma warning disable CA1031 // a failing log sink must not end the writer
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "BFD: {Count} log lines dropped (the log could not keep up with the session loop)")]
    private static partial void LogLinesDropped(ILogger logger, long count);
}
