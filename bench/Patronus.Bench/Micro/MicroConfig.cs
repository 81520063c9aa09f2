using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Patronus.Bench.Micro;

/// <summary>
/// ShortRun (3 warm-ups, 3 measured iterations, 1 launch) in process, with allocations: keeps each
/// run well under two minutes on a 2-core box and avoids BenchmarkDotNet generating and building a
/// second project under this repository's warnings-as-errors and central package versions.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "patronus-bdn"))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
