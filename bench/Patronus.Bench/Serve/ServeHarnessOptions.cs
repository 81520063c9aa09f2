using System.Globalization;

namespace Patronus.Bench.Serve;

/// <summary>Command line of the <c>serve</c> mode.</summary>
/// <param name="Paths">STAMP paths in the generated config, one target each. Default 10,000.</param>
/// <param name="Seconds">Measured span once every path is Up. Default 60 s.</param>
/// <param name="Sources">Links (source addresses 127.0.0.1…) the paths are spread over. Default 4.</param>
/// <param name="Reflectors">Reflector processes (the engine's StampReflector, each on a free UDP port). Default 2.</param>
/// <param name="PatronusBin">The <c>patronus</c> executable to run (default: the Release build of this checkout).</param>
/// <param name="Store">Empty (default): the embedded SQLite file in the run's data dir; else a <c>--store</c> value (postgres://…).</param>
/// <param name="ScrapeIntervalMs">Time between two timed <c>/metrics</c> scrapes. Default 1,000 ms.</param>
/// <param name="StartTimeout">Longest wait for ready and for every path Up. Default 120 s.</param>
/// <param name="Check">Exit 1 when a bar is missed (CI).</param>
/// <param name="Keep">Keep the run's directory (config, data, serve.log with serve's whole output) and print where.</param>
/// <param name="Bars">The bars checked and printed.</param>
internal sealed record ServeHarnessOptions(int Paths, int Seconds, int Sources, int Reflectors, string PatronusBin, string Store,
    int ScrapeIntervalMs, int StartTimeout, bool Check, bool Keep, ServeBars Bars)
{
    public static ServeHarnessOptions Parse(string[] args)
    {
        var o = new ServeHarnessOptions(10_000, 60, 4, 2, DefaultBin(), "", 1_000, 120, false, false, ServeBars.Default);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "--check" or "--keep")
            {
                o = name == "--check" ? o with { Check = true } : o with { Keep = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            o = name switch
            {
                "--paths" => o with { Paths = Int(name, value, 1, 65_535) },
                "--seconds" => o with { Seconds = Int(name, value, 1, 86_400) },
                "--sources" => o with { Sources = Int(name, value, 1, 250) },
                "--reflectors" => o with { Reflectors = Int(name, value, 1, 64) },
                "--patronus-bin" => o with { PatronusBin = value },
                "--store" => o with { Store = value },
                "--scrape-interval-ms" => o with { ScrapeIntervalMs = Int(name, value, 10, 60_000) },
                "--start-timeout" => o with { StartTimeout = Int(name, value, 1, 3_600) },
                "--max-ready-s" => o with { Bars = o.Bars with { ReadySeconds = Number(name, value) } },
                "--max-all-up-s" => o with { Bars = o.Bars with { AllUpSeconds = Number(name, value) } },
                "--max-cores" => o with { Bars = o.Bars with { Cores = Number(name, value) } },
                "--max-rss-mb" => o with { Bars = o.Bars with { RssMegabytes = Number(name, value) } },
                "--max-scrape-ms" => o with { Bars = o.Bars with { ScrapeMilliseconds = Number(name, value) } },
                "--max-left-up" => o with { Bars = o.Bars with { LeftUp = Int(name, value, 0, int.MaxValue) } },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        return File.Exists(o.PatronusBin) ? o : throw new ArgumentException($"--patronus-bin {o.PatronusBin}: no such file (dotnet build Patronus.slnx -c Release)");
    }

    public const string Usage =
        "usage: Patronus.Bench serve [--paths N] [--seconds S] [--sources L] [--reflectors K] [--patronus-bin PATH] [--store postgres://…]\n" +
        "                            [--scrape-interval-ms MS] [--start-timeout S] [--keep] [--check] [--max-ready-s S] [--max-all-up-s S]\n" +
        "                            [--max-cores C] [--max-rss-mb MB] [--max-scrape-ms MS] [--max-left-up N]";

    /// <summary>The Release build of this checkout, found from the bench's own output folder.</summary>
    private static string DefaultBin()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
        {
            dir = dir.Parent;
        }

        return dir is null ? "patronus" : Path.Combine(dir.FullName, "src", "Patronus.Server", "bin", "Release", "net10.0", "patronus");
    }

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} {text}: expected a whole number from {min} to {max}");

    private static double Number(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new ArgumentException($"{name} {text}: expected a non-negative number");
}

/// <summary>
/// Issue 14's bar 1 for a full <c>serve</c>: ready (listening and the store and topology loaded)
/// within <see cref="ReadySeconds"/>, every path measured Up within <see cref="AllUpSeconds"/>,
/// over the measured span at most <see cref="Cores"/> of CPU and <see cref="RssMegabytes"/> of
/// resident memory (peak), every <c>/metrics</c> scrape over HTTP within
/// <see cref="ScrapeMilliseconds"/>, and at most <see cref="LeftUp"/> status changes away from Up
/// from launch on (the reflectors are healthy, so any is self-inflicted).
/// </summary>
internal sealed record ServeBars(double ReadySeconds, double AllUpSeconds, double Cores, double RssMegabytes, double ScrapeMilliseconds, int LeftUp)
{
    public static ServeBars Default { get; } = new(5, 15, 1, 300, 50, 0);
}
