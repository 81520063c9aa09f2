using System.Globalization;

namespace Patronus.Bench.Probes;

/// <summary>Command line of the <c>probes</c> mode.</summary>
/// <param name="Paths">Paths to monitor, one STAMP target each. Default 10,000.</param>
/// <param name="Seconds">Measured span after the warm-up. Default 60 s.</param>
/// <param name="Warmup">Span before measuring: every session opened, windows filling. Default 10 s.</param>
/// <param name="Reflectors">Reflector endpoints (127.0.0.1, ports 18620…); paths are spread over them. Default 1.</param>
/// <param name="ReflectorExe">
/// <c>self</c> (default): child processes of this harness running the engine's StampReflector;
/// <c>inproc</c>: reflectors in the harness process (their CPU is counted with the monitor's);
/// a path: that executable run as <c>EXE reflector --listen ADDR:PORT</c> (the built <c>patronus</c>).
/// </param>
/// <param name="Sink"><c>count</c> (default): an IHealthSink that only counts; <c>sqlite</c>: the real HealthRecorder into a temp SQLite file.</param>
/// <param name="SourceAddresses">Links (each with its own 127.0.0.x source address) the paths are spread over. Default 4.</param>
/// <param name="AllocationProfile">Sample allocations by type during the measured span (GCAllocationTick; costs a little CPU).</param>
internal sealed record ProbeHarnessOptions(int Paths, int Seconds, int Warmup, int Reflectors, string ReflectorExe, string Sink, int SourceAddresses, bool AllocationProfile)
{
    public const int FirstReflectorPort = 18620;

    public static ProbeHarnessOptions Parse(string[] args)
    {
        var o = new ProbeHarnessOptions(10_000, 60, 10, 1, "self", "count", 4, false);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            o = args[i] switch
            {
                "--paths" => o with { Paths = Int(value) },
                "--seconds" => o with { Seconds = Int(value) },
                "--warmup" => o with { Warmup = Int(value) },
                "--reflectors" => o with { Reflectors = Int(value) },
                "--reflector-exe" => o with { ReflectorExe = value },
                "--sink" => value is "count" or "sqlite" ? o with { Sink = value } : throw new ArgumentException($"--sink {value}: expected count or sqlite"),
                "--sources" => o with { SourceAddresses = Int(value) },
                "--alloc-profile" => o with { AllocationProfile = value == "on" },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
