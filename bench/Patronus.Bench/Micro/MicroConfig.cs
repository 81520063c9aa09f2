using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Patronus.Bench.Micro;

/// <summary>
/// In process (no second project generated and built under this repository's warnings-as-errors
/// and central package versions), with allocations, and with enough measured iterations that the
/// error (99.9 % confidence half-width) is within 5 % of the mean where the box allows: BenchmarkDotNet
/// keeps iterating, 15 to 60 times, until it is. ShortRun's 3 iterations gave error bars as large as
/// the means (issue 14). A benchmark that stops at 60 iterations with a larger error says so in its
/// Error column: quote it with that error, or rerun on a quieter box.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(5)
            .WithMinIterationCount(15)
            .WithMaxIterationCount(60)
            .WithMaxRelativeError(0.05))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "patronus-bdn"))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
