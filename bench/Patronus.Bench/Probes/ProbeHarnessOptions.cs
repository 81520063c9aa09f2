using System.Globalization;

namespace Patronus.Bench.Probes;

/// <summary>Command line of the <c>probes</c> mode.</summary>
/// <param name="Paths">Paths to monitor, one STAMP target each. Default 10,000.</param>
/// <param name="Seconds">Measured span after the warm-up. Default 60 s.</param>
/// <param name="Warmup">Span before measuring: every session opened, windows filling. Default 10 s.</param>
/// <param name="Reflectors">
/// Reflectors (each on a UDP port free at start), each listening on 0.0.0.0 so that one answers many far-end
/// addresses (the engine's reflector replies from the address it was asked on). Default 1.
/// </param>
/// <param name="ReflectorExe">
/// <c>self</c> (default): child processes of this harness running the engine's StampReflector;
/// <c>inproc</c>: reflectors in the harness process (their CPU is counted with the monitor's);
/// a path: that executable run as <c>EXE reflector --listen ADDR:PORT</c> (the built <c>patronus</c>).
/// </param>
/// <param name="Sink"><c>count</c> (default): an IHealthSink that only counts; <c>sqlite</c>: the real HealthRecorder into a temp SQLite file.</param>
/// <param name="SourceAddresses">Links (each with its own 127.0.0.x source address) the paths are spread over. Default 4.</param>
/// <param name="FarEnds">
/// Distinct far-end addresses (127.1.x.y) the paths probe; far end j is served by reflector
/// j mod <see cref="Reflectors"/>. Path i runs over link i mod L to far end (i / L) mod N.
/// 0 (default) means paths / links, rounded up: each (link, far end) pair is probed by one path, as
/// an SD-WAN edge probes each remote site once per link. 1 gives the degenerate shape where every
/// path of a link probes the same endpoint (2,500 per link at 10,000 paths over 4 links).
/// </param>
/// <param name="AllocationProfile">Sample allocations by type during the measured span (GCAllocationTick; costs a little CPU).</param>
internal sealed record ProbeHarnessOptions(int Paths, int Seconds, int Warmup, int Reflectors, string ReflectorExe, string Sink, int SourceAddresses, bool AllocationProfile, int FarEnds)
{
    /// <summary>Far ends are 127.1.0.1 … 127.1.255.255.</summary>
    public const int MaxFarEnds = 65_535;

    public static ProbeHarnessOptions Parse(string[] args)
    {
        var o = new ProbeHarnessOptions(10_000, 60, 10, 1, "self", "count", 4, false, 0);
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
                "--far-ends" => o with { FarEnds = Int(value) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (o.FarEnds == 0)
        {
            o = o with { FarEnds = (o.Paths + o.SourceAddresses - 1) / Math.Max(1, o.SourceAddresses) };
        }

        return o.FarEnds is < 1 or > MaxFarEnds ? throw new ArgumentException($"--far-ends {o.FarEnds}: 1 to {MaxFarEnds}") : o;
    }

    /// <summary>Far end <paramref name="index"/>: 127.1.x.y on the port of reflector index mod the reflector count.</summary>
    public static string FarEnd(int index, IReadOnlyList<int> reflectorPorts)
    {
        var host = index + 1;
        return string.Create(CultureInfo.InvariantCulture, $"127.1.{host >> 8}.{host & 0xFF}:{reflectorPorts[index % reflectorPorts.Count]}");
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
