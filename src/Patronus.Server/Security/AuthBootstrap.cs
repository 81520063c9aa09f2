using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;
using Patronus.Persistence;
using Patronus.Persistence.Security;
using Patronus.Server.Hosting;

namespace Patronus.Server.Security;

/// <summary>
/// Once the store is migrated: loads the signing key (so a first start creates it), tells a
/// newcomer how to create the first admin when no user exists (never a generated password), and
/// every <see cref="CleanupInterval"/> deletes refresh tokens that have expired and — on the leader,
/// as all retention (docs/ha.md) — audit entries older than <see cref="AuthOptions.AuditRetention"/>.
/// </summary>
public sealed partial class AuthBootstrap : BackgroundService
{
    /// <summary>How often expired refresh tokens and audit entries are deleted.</summary>
    public static readonly TimeSpan CleanupInterval = TimeSpan.FromHours(1);

    /// <summary>How often to look whether the store is migrated yet.</summary>
    private static readonly TimeSpan s_storePoll = TimeSpan.FromMilliseconds(200);

    private readonly IUserStore _store;
    private readonly IAuditStore _audit;
    private readonly TimeSpan _auditRetention;
    private readonly StoreState _state;
    private readonly SigningKeys _keys;
    private readonly PatronusConfiguration _config;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthBootstrap> _logger;
    private readonly ILeadership? _leadership;

    public AuthBootstrap(IUserStore store, IAuditStore audit, IOptions<AuthOptions> options, StoreState state, SigningKeys keys, PatronusConfiguration config, TimeProvider time, ILogger<AuthBootstrap> logger,
        ILeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _audit = audit;
        _auditRetention = options.Value.AuditRetention;
        _state = state;
        _keys = keys;
        _config = config;
        _time = time;
        _logger = logger;
        _leadership = leadership;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!_state.Migrated)
            {
                await Task.Delay(s_storePoll, _time, stoppingToken).ConfigureAwait(false);
            }

            await _keys.GetAsync(stoppingToken).ConfigureAwait(false);
            if ((await _store.ListUsersAsync(stoppingToken).ConfigureAwait(false)).Count == 0)
            {
                var where = _config.Store.Provider == StoreProvider.Sqlite ? $"--data-dir {_config.DataDir}" : "--store <the same store>";
                LogNoUsers(_logger, $"patronus users add admin --role admin --password-stdin {where}");
            }

            using var timer = new PeriodicTimer(CleanupInterval, _time);
            do
            {
                try
                {
                    await CleanupOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogCleanupFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // reported; requests retry loading the key themselves
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogStartFailed(_logger, ex);
        }
    }

    /// <summary>
    /// One cleanup pass: expired refresh tokens on any node (idempotent, not leader-only), audit entries
    /// past retention on the leader only. A follower's delete would only be refused by the store's fence
    /// and counted in <c>cluster_fenced_writes_total</c> as if a deposed leader had tried it.
    /// </summary>
    internal async Task CleanupOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await _store.DeleteExpiredRefreshTokensAsync(now, cancellationToken).ConfigureAwait(false);
        if (_leadership is not { IsLeader: false })
        {
            await _audit.DeleteAuditBeforeAsync(now - _auditRetention, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 730, Level = LogLevel.Warning, Message = "No users exist yet, and every API request needs a token. Create the first admin (the password is read from stdin): {Command}")]
    private static partial void LogNoUsers(ILogger logger, string command);

    [LoggerMessage(EventId = 731, Level = LogLevel.Warning, Message = "Deleting expired refresh tokens or audit entries failed; retrying at the next interval")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 732, Level = LogLevel.Error, Message = "Authentication setup failed (signing key); requests will retry it")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);
}
