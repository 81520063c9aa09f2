using System.Collections.Concurrent;
using Npgsql;
using Patronus.Engine.Cluster;
using Patronus.TestSupport;

namespace Patronus.Persistence.Tests;

/// <summary>The cluster relay's channel on a real PostgreSQL server: LISTEN/NOTIFY, and a lost listener connection.</summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class PostgresClusterChannelTests(PostgresFixture server)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task NotifyAsync_Listening_PayloadArrives_SentBeforeListeningDoesNot()
    {
        var (name, location) = await server.CreateDatabaseAsync();
        try
        {
            await using var channel = new PostgresClusterChannel(location);
            await channel.NotifyAsync("before");
            var received = new ConcurrentQueue<string>();
            using var cts = new CancellationTokenSource(s_timeout);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var listen = channel.ListenAsync(_ =>
            {
                listening.SetResult();
                return Task.CompletedTask;
            }, received.Enqueue, cts.Token);
            await listening.Task.WaitAsync(s_timeout);

            var big = new string('x', ClusterMessageCodec.MaxPayloadBytes - 10);
            await channel.NotifyAsync("after");
            await channel.NotifyAsync(big);

            await Poll.AssertAsync(() => received.Count == 2, s_timeout, "both notifications arrive");
            Assert.Equal(["after", big], received);
            await cts.CancelAsync();
            await listen; // returns on cancellation
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task ListenAsync_ServerEndsTheListenersSession_Throws()
    {
        var (name, location) = await server.CreateDatabaseAsync();
        try
        {
            await using var channel = new PostgresClusterChannel(location);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cts = new CancellationTokenSource(s_timeout * 3);
            var listen = channel.ListenAsync(_ =>
            {
                listening.SetResult();
                return Task.CompletedTask;
            }, _ => { }, cts.Token);
            await listening.Task.WaitAsync(s_timeout);

            // What a restarted server, a failover of the database or a cut connection does to the listener.
            await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(location.ConnectionString) { Pooling = false }.ConnectionString);
            await admin.OpenAsync();
            await using (var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'", admin))
            {
                Assert.Equal(1L, await kill.ExecuteScalarAsync());
            }

            var error = await Record.ExceptionAsync(() => listen.WaitAsync(s_timeout));
            Assert.NotNull(error);
            Assert.False(error is TimeoutException or OperationCanceledException, $"it must end because the session did: {error}");
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }
}
