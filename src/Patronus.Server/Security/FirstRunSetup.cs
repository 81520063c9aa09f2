using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Patronus.Persistence.Security;
using Patronus.Server.Hosting;

namespace Patronus.Server.Security;

/// <summary>
/// On start, once the server listens and the store is migrated: when no user exists, issues the
/// <see cref="SetupToken"/> and logs the dashboard's setup URL with it (once per start). The page
/// creates the first admin; <c>patronus users add</c> keeps working beside it.
/// </summary>
public sealed partial class FirstRunSetup : BackgroundService
{
    /// <summary>How often to look whether the store is migrated yet.</summary>
    private static readonly TimeSpan s_storePoll = TimeSpan.FromMilliseconds(200);

    private readonly IUserStore _store;
    private readonly StoreState _state;
    private readonly SetupToken _setup;
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<FirstRunSetup> _logger;

    public FirstRunSetup(IUserStore store, StoreState state, SetupToken setup, IServer server, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<FirstRunSetup> logger)
    {
        _store = store;
        _state = state;
        _setup = setup;
        _server = server;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The URL names the port the server really listens on (it may be 0 in the configuration).
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
            {
                await started.Task.ConfigureAwait(false);
            }

            while (!_state.Migrated)
            {
                await Task.Delay(s_storePoll, _time, stoppingToken).ConfigureAwait(false);
            }

            if ((await _store.ListUsersAsync(stoppingToken).ConfigureAwait(false)).Count > 0)
            {
                return;
            }

            var token = _setup.Issue();
            LogSetupUrl(_logger, $"{BaseUrl(_server.Features.Get<IServerAddressesFeature>()?.Addresses)}/setup#token={token}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // reported; the CLI path still works
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSetupFailed(_logger, ex);
        }
    }

    /// <summary>The first listening address, with a wildcard host replaced by 127.0.0.1 (setup is accepted from loopback only).</summary>
    internal static string BaseUrl(ICollection<string>? addresses)
    {
        var first = addresses?.FirstOrDefault() ?? "http://127.0.0.1:8080";
        var uri = new UriBuilder(first.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }

        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    [LoggerMessage(EventId = 733, Level = LogLevel.Warning, Message = "No users exist yet. Open the setup page on this machine to create the first admin (the link works once, for one hour): {Url}")]
    private static partial void LogSetupUrl(ILogger logger, string url);

    [LoggerMessage(EventId = 734, Level = LogLevel.Error, Message = "First-run setup could not start; create the first admin with: patronus users add")]
    private static partial void LogSetupFailed(ILogger logger, Exception exception);
}
