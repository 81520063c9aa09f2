using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Patronus.Persistence;
using Patronus.Server.Health;
using Patronus.Server.Hosting;

namespace Patronus.Server.Tests.Health;

/// <summary>
/// The store check answers from <see cref="StoreProbe"/>'s latest reading, at once, whatever the
/// store is doing; a question the store leaves unanswered past its bound (even when the driver
/// ignores cancellation: a black-holed store) turns it unhealthy.
/// </summary>
public sealed class StoreHealthCheckTests
{
    private static StoreState Migrated()
    {
        var state = new StoreState();
        state.MarkMigrated(11);
        return state;
    }

    [Fact]
    public async Task Check_StoreNeverAnswersAndIgnoresCancellation_UnhealthyAtTheBound()
    {
        var clock = new FakeTimeProvider();
        var store = new SilentStore();
        var probe = new StoreProbe(store, clock);
        var check = new StoreHealthCheck(store, Migrated(), probe, clock);

        var asking = probe.AskAsync(CancellationToken.None);
        Assert.False(asking.IsCompleted);
        Assert.Equal("not answered yet", (await check.CheckHealthAsync(new HealthCheckContext())).Description);
        clock.Advance(HealthEndpoints.StoreCheckTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(asking.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        await asking.WaitAsync(TimeSpan.FromSeconds(10)); // completes on the fake clock's advance, not on this bound
        var answer = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, answer.Status);
        Assert.StartsWith("no answer within 2 s", answer.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_StoreAnswers_HealthyWithTheSchemaVersion()
    {
        var clock = new FakeTimeProvider();
        var store = new AnsweringStore();
        var probe = new StoreProbe(store, clock);
        var check = new StoreHealthCheck(store, Migrated(), probe, clock);

        await probe.AskAsync(CancellationToken.None);
        var answer = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, answer.Status);
        Assert.Equal(11, answer.Data["schema_version"]);
    }

    /// <summary>
    /// The bug the cluster lab found: a check that queried the store took the store's time under
    /// load (0.5–2.2 s), HAProxy gave up after 500 ms on every node at once and had no server left.
    /// Now a slow question does not hold the check: it answers at once from the last answer.
    /// </summary>
    [Fact]
    public async Task Check_StoreSlowButWithinItsBound_AnswersAtOnceHealthy()
    {
        var clock = new FakeTimeProvider();
        var store = new GatedStore();
        var probe = new StoreProbe(store, clock);
        var check = new StoreHealthCheck(store, Migrated(), probe, clock);
        store.Open();
        await probe.AskAsync(CancellationToken.None);
        store.Close();

        var slow = probe.AskAsync(CancellationToken.None);
        clock.Advance(HealthEndpoints.StoreCheckTimeout - TimeSpan.FromMilliseconds(100));
        var during = check.CheckHealthAsync(new HealthCheckContext());

        Assert.True(during.IsCompleted, "the check waited for the store");
        Assert.Equal(HealthStatus.Healthy, (await during).Status);
        store.Open();
        await slow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Check_QueryFails_UnhealthyNamingTheError_HealthyAgainOnTheNextAnswer()
    {
        var clock = new FakeTimeProvider();
        var store = new GatedStore();
        var probe = new StoreProbe(store, clock);
        var check = new StoreHealthCheck(store, Migrated(), probe, clock);

        store.Fail = true;
        await probe.AskAsync(CancellationToken.None);
        var failed = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("query failed: connection reset", failed.Description);

        store.Fail = false;
        store.Open();
        clock.Advance(StoreProbe.Interval);
        await probe.AskAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Check_ProbeStoppedAsking_UnhealthyOnceTheAnswerIsStale()
    {
        var clock = new FakeTimeProvider();
        var store = new AnsweringStore();
        var probe = new StoreProbe(store, clock);
        var check = new StoreHealthCheck(store, Migrated(), probe, clock);
        await probe.AskAsync(CancellationToken.None);

        clock.Advance(StoreHealthCheck.StaleAfter);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var stale = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, stale.Status);
        Assert.StartsWith("last answer 2.5 s ago", stale.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NotMigrated_UnhealthyWhateverTheProbeSays()
    {
        var clock = new FakeTimeProvider();
        var store = new AnsweringStore();
        var probe = new StoreProbe(store, clock);
        await probe.AskAsync(CancellationToken.None);
        var check = new StoreHealthCheck(store, new StoreState(), probe, clock);

        var answer = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, answer.Status);
        Assert.StartsWith("migrations have not run", answer.Description, StringComparison.Ordinal);
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

    /// <summary>Answers 11 while open; while closed a question waits until it opens (a slow store); or fails like a reset connection.</summary>
    private sealed class GatedStore : IPatronusDatabase
    {
        private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Fail { get; set; }

        public StoreProvider Provider => StoreProvider.Postgres;

        public string Description => "gated";

        public void Open() => _open.TrySetResult();

        public void Close() => _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
        {
            if (Fail)
            {
                throw new InvalidOperationException("connection reset");
            }

            await _open.Task.ConfigureAwait(false);
            return 11;
        }
    }
}
