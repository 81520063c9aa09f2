using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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

    [Theory]
    [InlineData("Host=h;Database=d", PostgresStore.DefaultConnectTimeoutSeconds, PostgresStore.DefaultCancellationTimeoutMilliseconds, PostgresStore.DefaultKeepAliveSeconds)]
    [InlineData("Host=h;Database=d;Timeout=20;Cancellation Timeout=-1;Keepalive=0;Maximum Pool Size=60;Minimum Pool Size=10", 20, -1, 0)]
    public async Task Constructor_BothConnections_TakeTheStoresConnectionDefaultsUnlessSet(string connectionString, int connect, int cancellation, int keepAlive)
    {
        Assert.True(StoreLocation.TryParse(connectionString, Path.GetTempPath(), out var location, out var error), error);
        await using var channel = new PostgresClusterChannel(location!);

        var notifier = new NpgsqlConnectionStringBuilder(channel.NotifierConnectionString);
        var listener = new NpgsqlConnectionStringBuilder(channel.ListenerConnectionString);

        Assert.Equal((connect, cancellation, keepAlive), (notifier.Timeout, notifier.CancellationTimeout, notifier.KeepAlive));
        Assert.Equal((connect, cancellation, keepAlive), (listener.Timeout, listener.CancellationTimeout, listener.KeepAlive));
        Assert.Equal((int)PostgresClusterChannel.NotifyTimeout.TotalSeconds, notifier.CommandTimeout);
        Assert.Equal((int)PostgresClusterChannel.LivenessTimeout.TotalSeconds, listener.CommandTimeout);
        Assert.True(notifier.Pooling);
        Assert.Equal((PostgresClusterChannel.NotifierMaxPoolSize, 0), (notifier.MaxPoolSize, notifier.MinPoolSize));
        Assert.False(listener.Pooling);
    }

    /// <summary>
    /// A black-holed store: TCP connects (the listener accepts) and nothing ever answers. Before the
    /// channel took the store's connection defaults, a notification and the listener each waited
    /// Npgsql's 15 s connect timeout; now both fail after <see cref="PostgresStore.DefaultConnectTimeoutSeconds"/>.
    /// </summary>
    [Fact]
    public async Task NotifyAndListen_StoreAcceptsButNeverAnswers_FailWithinTheConnectTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new ConcurrentBag<Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptSocketAsync(stop.Token));
            }
        });
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        Assert.True(StoreLocation.TryParse($"Host=127.0.0.1;Port={port};Database=d;Username=u;Password=p", Path.GetTempPath(), out var location, out var error), error);
        await using var channel = new PostgresClusterChannel(location!);

        // Bound below Npgsql's own 15 s default, above ours (5 s) with room for a loaded box.
        var bound = TimeSpan.FromSeconds(12);
        var stopwatch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(s_timeout * 3); // never fires first: the relay's stopping token
        var notify = Record.ExceptionAsync(() => channel.NotifyAsync("x").WaitAsync(bound));
        var listen = Record.ExceptionAsync(() => channel.ListenAsync(_ => Task.CompletedTask, _ => { }, cts.Token).WaitAsync(bound));
        var notifyError = await notify;
        var listenError = await listen;
        var elapsed = stopwatch.Elapsed;

        Assert.IsAssignableFrom<NpgsqlException>(notifyError);
        Assert.IsAssignableFrom<NpgsqlException>(listenError);
        Assert.True(elapsed < bound, $"took {elapsed}");
        Assert.NotEmpty(held); // it did reach the silent "store"

        await stop.CancelAsync();
        await Record.ExceptionAsync(() => accepting);
        foreach (var socket in held)
        {
            socket.Dispose();
        }
    }
}
