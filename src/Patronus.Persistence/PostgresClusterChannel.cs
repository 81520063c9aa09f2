using Npgsql;
using Patronus.Engine.Cluster;

namespace Patronus.Persistence;

/// <summary>
/// <see cref="IClusterChannel"/> on PostgreSQL <c>LISTEN/NOTIFY</c> (channel <see cref="ChannelName"/>).
/// Notifications go out on pooled connections, each its own autocommit statement (delivered at
/// once, never folded with an equal one). The listener has a connection of its own, outside the
/// pool (a pooled one would be reset with <c>UNLISTEN</c> and handed to others); while no
/// notification arrives it proves the connection alive every <see cref="LivenessInterval"/> with a
/// query bounded by <see cref="LivenessTimeout"/>, so a silently dead connection is noticed within
/// about 10 s and the relay listens again (and resyncs). Both take the store's connection defaults
/// (<see cref="PostgresStore.WithConnectionDefaults"/>: connect timeout, cancellation timeout,
/// keepalive), so a black-holed store fails their connections within seconds instead of holding the relay.
/// </summary>
public sealed class PostgresClusterChannel : IClusterChannel, IAsyncDisposable
{
    /// <summary>The notification channel.</summary>
    public const string ChannelName = "patronus_cluster";

    /// <summary>How long the listener waits for a notification before it checks its connection.</summary>
    public static readonly TimeSpan LivenessInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long the check may take before the connection is given up.</summary>
    public static readonly TimeSpan LivenessTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one notification may take before it fails: 5 s. <c>pg_notify</c> answers in
    /// milliseconds; a connection that has not answered for seconds is dead or black-holed, and a relay
    /// round waiting on it for Npgsql's default 30 s would hold every later round.
    /// </summary>
    public static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Connections the notifier pool opens at most, whatever the store's connection string says:
    /// notifications come from the relay's few loops (relay rounds, resync, failover and config
    /// signals), one at a time each, so four are never all busy; Npgsql's default of 100 would let a
    /// stalled store make a node hold a third of PostgreSQL's default <c>max_connections</c>.
    /// </summary>
    public const int NotifierMaxPoolSize = 4;

    private readonly NpgsqlDataSource _notifiers;

    public PostgresClusterChannel(StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var withDefaults = PostgresStore.WithConnectionDefaults(location.ConnectionString);
        NotifierConnectionString = new NpgsqlConnectionStringBuilder(withDefaults)
        {
            CommandTimeout = (int)NotifyTimeout.TotalSeconds,
            MaxPoolSize = NotifierMaxPoolSize,
            MinPoolSize = 0,
        }.ConnectionString;
        ListenerConnectionString = new NpgsqlConnectionStringBuilder(withDefaults)
        {
            Pooling = false,
            CommandTimeout = (int)LivenessTimeout.TotalSeconds,
        }.ConnectionString;
        _notifiers = NpgsqlDataSource.Create(NotifierConnectionString);
    }

    /// <summary>The notifier pool's connection string (tests).</summary>
    internal string NotifierConnectionString { get; }

    /// <summary>The listener's connection string (tests).</summary>
    internal string ListenerConnectionString { get; }

    public async Task NotifyAsync(string payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        await using var command = _notifiers.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = ChannelName });
        command.Parameters.Add(new NpgsqlParameter { Value = payload });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task ListenAsync(Func<CancellationToken, Task> onListening, Action<string> onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onListening);
        ArgumentNullException.ThrowIfNull(onMessage);
        await using var connection = new NpgsqlConnection(ListenerConnectionString);
        connection.Notification += (_, e) =>
        {
            if (e.Channel == ChannelName)
            {
                onMessage(e.Payload);
            }
        };
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await onListening(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                if (!await connection.WaitAsync(LivenessInterval, cancellationToken).ConfigureAwait(false))
                {
                    await using var probe = new NpgsqlCommand("SELECT 1", connection);
                    await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public ValueTask DisposeAsync() => _notifiers.DisposeAsync();
}
