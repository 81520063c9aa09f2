using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Persistence;

namespace Patronus.Server.Hosting;

/// <summary>
/// Brings the store up after the web host has started: applies migrations, writes the configured
/// topology, loads the full topology. Until it has, <c>/health/ready</c> answers 503 naming the
/// store. A store that is unreachable (PostgreSQL still starting) is retried with backoff; a
/// configuration that conflicts with stored data stops the process with exit code 2.
/// </summary>
public sealed partial class StoreInitializer : BackgroundService
{
    /// <summary>First retry delay when the store is unreachable; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between attempts to reach the store.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private readonly IPatronusDatabase _store;
    private readonly TopologyService _topology;
    private readonly FailoverPolicyService _policies;
    private readonly PatronusConfiguration _config;
    private readonly StoreState _state;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<StoreInitializer> _logger;

    public StoreInitializer(IPatronusDatabase store, TopologyService topology, FailoverPolicyService policies, PatronusConfiguration config, StoreState state,
        IHostApplicationLifetime lifetime, TimeProvider time, ILogger<StoreInitializer> logger)
    {
        _store = store;
        _topology = topology;
        _policies = policies;
        _config = config;
        _state = state;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var applied = await _store.MigrateAsync(stoppingToken).ConfigureAwait(false);
                var version = await _store.GetSchemaVersionAsync(stoppingToken).ConfigureAwait(false);
                LogMigrated(_logger, _store.Description, version, applied.Count);
                _state.MarkMigrated(version);

                var policies = _config.FailoverPolicies ?? [];
                var result = await _policies.RemoveStaleConfigAsync(policies, stoppingToken).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    result = await _topology.InitializeAsync(_config.Topology, stoppingToken).ConfigureAwait(false);
                }

                if (result.Succeeded)
                {
                    result = await _policies.InitializeAsync(policies, stoppingToken).ConfigureAwait(false);
                }

                if (!result.Succeeded)
                {
                    LogTopologyRejected(_logger, result.Message ?? result.Status.ToString());
                    _state.MarkFailed($"configuration conflicts with stored data: {result.Message}");
                    Environment.ExitCode = 2;
                    _lifetime.StopApplication();
                    return;
                }

                var t = _topology.Current;
                LogTopologyLoaded(_logger, t.Sites.Count, t.Links.Count, t.Paths.Count, _config.IsQuickstart);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // any failure to reach the store is retried; the loop must not die
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _state.MarkFailed(ex.Message);
                LogStoreUnavailable(_logger, _store.Description, delay.TotalMilliseconds, ex);
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Store {Store} at schema version {Version} ({Applied} migrations applied now)")]
    private static partial void LogMigrated(ILogger logger, string store, int version, int applied);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Topology loaded: {Sites} sites, {Links} links, {Paths} paths (quickstart: {Quickstart})")]
    private static partial void LogTopologyLoaded(ILogger logger, int sites, int links, int paths, bool quickstart);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Configuration rejected by the store: {Reason}")]
    private static partial void LogTopologyRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Store {Store} unavailable, retrying in {DelayMs} ms")]
    private static partial void LogStoreUnavailable(ILogger logger, string store, double delayMs, Exception exception);
}

/// <summary>What readiness knows about the store: migrated or not, and the last failure.</summary>
public sealed class StoreState
{
    private volatile string? _failure = "not initialised yet";
    private volatile int _version;

    public bool Migrated => _version > 0;

    public int SchemaVersion => _version;

    public string? LastFailure => _failure;

    public void MarkMigrated(int version)
    {
        _version = version;
        _failure = null;
    }

    public void MarkFailed(string reason) => _failure = reason;
}
