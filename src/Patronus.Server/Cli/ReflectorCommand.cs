using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Console;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;
using Patronus.Server.Hosting;

namespace Patronus.Server.Cli;

/// <summary>
/// <c>patronus reflector [--listen ADDR:PORT] [--verbose]</c>: a standalone STAMP Session-Reflector
/// (RFC 8762) for the far end of a path, running until SIGINT/SIGTERM. Exit codes: 0 stopped by a
/// signal, 1 cannot bind (port in use, address not on this host, port &lt; 1024 without privilege),
/// 2 bad <c>--listen</c>.
/// </summary>
public static class ReflectorCommand
{
    /// <summary>Default listen endpoint: every IPv4 address, the STAMP port 862 (RFC 8762 §4.1).</summary>
    public const string DefaultListen = "0.0.0.0:862";

    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = $"Address and UDP port to reflect on: ADDR:PORT or [IPv6]:PORT ([::]:PORT also takes IPv4). Default {DefaultListen}.",
            DefaultValueFactory = _ => DefaultListen,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every dropped datagram (Debug level)." };
        var command = new Command("reflector", "Run a STAMP reflector (RFC 8762, unauthenticated) that answers Patronus path probes.") { listen, verbose };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(listen), parse.GetValue(verbose), ct));
        return command;
    }

    /// <summary>Parses <c>ADDR:PORT</c> or <c>[IPv6]:PORT</c>; addresses only (no host names), port required.</summary>
    internal static bool TryParseListen(string? text, out IPEndPoint? endPoint, out string? error)
    {
        endPoint = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "--listen is empty; expected ADDR:PORT or [IPv6]:PORT";
            return false;
        }

        string address, port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"--listen '{text}': expected [IPv6]:PORT";
                return false;
            }

            (address, port) = (text[1..close], text[(close + 2)..]);
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"--listen '{text}': a port is required (ADDR:PORT, e.g. {DefaultListen})";
                return false;
            }

            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"--listen '{text}': write IPv6 addresses in brackets, e.g. [::]:862";
                return false;
            }

            (address, port) = (text[..colon], text[(colon + 1)..]);
        }

        if (!IPAddress.TryParse(address, out var ip) || (text.StartsWith('[') && ip.AddressFamily != AddressFamily.InterNetworkV6))
        {
            error = $"--listen '{text}': '{address}' is not an IP address";
            return false;
        }

        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = $"--listen '{text}': '{port}' is not a port (0–65535)";
            return false;
        }

        endPoint = new IPEndPoint(ip, number);
        error = null;
        return true;
    }

    private static async Task<int> RunAsync(string? listenText, bool verbose, CancellationToken cancellationToken)
    {
        if (!TryParseListen(listenText, out var listen, out var error))
        {
            await Console.Error.WriteLineAsync($"patronus: {error}").ConfigureAwait(false);
            return PatronusCli.BadConfig;
        }

        // Our own signal handling, so the command stops cleanly whether or not the invocation
        // configuration lets System.CommandLine handle SIGINT/SIGTERM.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        using var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.Services.Configure<ConsoleLoggerOptions>(ServerApp.ConfigureConsoleQueue);
            builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.UseUtcTimestamp = true;
                })
                .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        });
        using var metrics = new ProbeMetrics();

        StampReflector reflector;
        try
        {
            reflector = StampReflector.Start(listen!, TimeProvider.System, metrics, loggerFactory.CreateLogger("Patronus.Reflector"));
        }
        catch (SocketException ex)
        {
            var why = ex.SocketErrorCode == SocketError.AccessDenied && listen!.Port is > 0 and < 1024
                ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                : ex.Message;
            await Console.Error.WriteLineAsync($"patronus: cannot listen on udp {listen}: {why}").ConfigureAwait(false);
            return PatronusCli.Failure;
        }

        await using (reflector.ConfigureAwait(false))
        {
            Console.WriteLine($"patronus: STAMP reflector listening on udp {reflector.LocalEndPoint}");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return PatronusCli.Ok;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves
            stop.Cancel();
        }
    }
}
