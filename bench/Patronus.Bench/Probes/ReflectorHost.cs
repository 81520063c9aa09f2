using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Bench.Probes;

/// <summary>
/// A bare STAMP reflector process (the engine's <see cref="StampReflector"/>, as <c>patronus reflector</c>
/// runs it) so the harness can keep the far end's CPU out of the monitor's process. Runs until
/// SIGTERM/SIGINT or until its standard input closes (the harness exiting).
/// </summary>
internal static class ReflectorHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--listen");
        if (at < 0 || at + 1 >= args.Length || !IPEndPoint.TryParse(args[at + 1], out var listen))
        {
            await Console.Error.WriteLineAsync("reflector: --listen ADDR:PORT is required");
            return 2;
        }

        using var metrics = new ProbeMetrics();
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        var reflector = StampReflector.Start(listen, TimeProvider.System, metrics, NullLogger.Instance);
        await using (reflector)
        {
            Console.WriteLine($"reflector listening on udp {reflector.LocalEndPoint}");
            var stdinClosed = Task.Run(() =>
            {
                while (Console.In.ReadLine() is not null)
                {
                }
            });
            await Task.WhenAny(stop.Task, stdinClosed);
        }

        return 0;
    }
}
