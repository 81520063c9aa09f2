namespace Patronus.Server.Tests.TestSupport;

/// <summary>
/// Tests that assert a latency bar of the running server (e.g. a subscription push within 100 ms
/// of the decision) run alone, after the parallel ones: with a dozen other servers starting and
/// collecting garbage in the same test process, a 150 ms delivery measured the test run, not
/// the server (seen once in a full ./test.sh, never in 5 runs of the class alone).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollectionDefinition
{
    public const string Name = "timing (runs alone)";
}
