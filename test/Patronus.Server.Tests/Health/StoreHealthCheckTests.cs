using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Patronus.Persistence;
using Patronus.Server.Health;
using Patronus.Server.Hosting;

namespace Patronus.Server.Tests.Health;

/// <summary>The store check answers within its bound even when the driver ignores cancellation (a black-holed store).</summary>
public sealed class StoreHealthCheckTests
{
    [Fact]
    public async Task Check_StoreNeverAnswersAndIgnoresCancellation_UnhealthyAtTheBound()
    {
        var clock = new FakeTimeProvider();
        var state = new StoreState();
        state.MarkMigrated(11);
        var check = new StoreHealthCheck(new SilentStore(), state, clock);

        var result = check.CheckHealthAsync(new HealthCheckContext(), CancellationToken.None);
        Assert.False(result.IsCompleted);
        clock.Advance(HealthEndpoints.StoreCheckTimeout);

        var answer = await result.WaitAsync(TimeSpan.FromSeconds(10)); // completes on the fake clock's advance, not on this bound
        Assert.Equal(HealthStatus.Unhealthy, answer.Status);
        Assert.StartsWith("no answer within 2 s", answer.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_StoreAnswers_HealthyWithTheSchemaVersion()
    {
        var state = new StoreState();
        state.MarkMigrated(11);
        var check = new StoreHealthCheck(new AnsweringStore(), state, new FakeTimeProvider());

        var answer = await check.CheckHealthAsync(new HealthCheckContext(), CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, answer.Status);
        Assert.Equal(11, answer.Data["schema_version"]);
    }

    /// <summary>Packets dropped: the query never completes, and cancelling it does not help.</summary>
    private sealed class SilentStore : IPatronusDatabase
    {
        private readonly TaskCompletionSource<int> _never = new();

        public StoreProvider Provider => StoreProvider.Postgres;

        public string Description => "silent";

        public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) => _never.Task;
    }

    private sealed class AnsweringStore : IPatronusDatabase
    {
        public StoreProvider Provider => StoreProvider.Sqlite;

        public string Description => "answering";

        public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) => Task.FromResult(11);
    }
}
