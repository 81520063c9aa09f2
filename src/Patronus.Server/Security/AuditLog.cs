using System.Net;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// Writes audit entries to the store within bounds no client can push:
/// <list type="bullet">
/// <item>every text field is capped (<see cref="MaxUsernameChars"/>, <see cref="MaxActionChars"/>,
/// <see cref="MaxTargetChars"/>, <see cref="MaxAddressChars"/>, <see cref="MaxDetailChars"/>) and
/// control characters are replaced, so a row is at most about 1 kB whatever the request carried;</item>
/// <item>a refused request — 401, 403 or 429, or any error status without a signed-in user — goes
/// through the <see cref="AuditAggregator"/>: the first one of a source (the signed-in user, else
/// the client address) in a minute is written in full, the rest are counted
/// (<c>patronus_audit_aggregated_total</c>) and written as one <c>summary</c> row when the minute
/// is over. Accepted requests and a signed-in user's failed changes are written one row each.</item>
/// </list>
/// Summaries of closed windows are written every <see cref="SummaryInterval"/> and on shutdown.
/// </summary>
public sealed partial class AuditLog : BackgroundService
{
    /// <summary>Longest username kept: the longest a user can have.</summary>
    public const int MaxUsernameChars = PasswordPolicy.MaxUsernameLength;

    /// <summary>Longest action kept (<c>METHOD /route/{template}</c>; a path without a route is cut).</summary>
    public const int MaxActionChars = 128;

    /// <summary>Longest target (request path) kept.</summary>
    public const int MaxTargetChars = 256;

    /// <summary>Longest client address kept (an IPv6 address with a zone fits).</summary>
    public const int MaxAddressChars = 64;

    /// <summary>Longest detail kept (a summary lists counts and a few usernames within it).</summary>
    public const int MaxDetailChars = 512;

    /// <summary>How often summaries of closed windows are written: a window's summary lands at most this long after it closes.</summary>
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(10);

    private readonly IAuditStore _store;
    private readonly AuditAggregator _aggregator;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;

    public AuditLog(IAuditStore store, AuditAggregator aggregator, AuditMetrics metrics, TimeProvider time, ILogger<AuditLog> logger)
    {
        _store = store;
        _aggregator = aggregator;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary><c>success</c> below 400, <c>denied</c> for 401/403/429, else <c>failed</c>.</summary>
    public static string ResultOf(int status) => status switch
    {
        < 400 => "success",
        401 or 403 or 429 => "denied",
        _ => "failed",
    };

    /// <summary>
    /// Records one request's outcome: written now, or counted into its source's summary when it
    /// was refused and its source already has a row this minute. True when it got its own row —
    /// a caller that also logs the event logs only then, so the log cannot be flooded either.
    /// </summary>
    public async Task<bool> RecordAsync(HttpContext context, string action, string? target, int status, string? username = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var signedIn = context.User.Identity is { IsAuthenticated: true } identity ? identity.Name : null;
        var address = context.Connection.RemoteIpAddress;
        var entry = Capped(new AuditRecord(_time.GetUtcNow(), username ?? signedIn, action, target, address?.ToString(), ResultOf(status), status, detail));
        if (status is 401 or 403 or 429 || (status >= 400 && signedIn is null))
        {
            var source = signedIn is not null ? AuditSource.OfUser(Cap(signedIn, MaxUsernameChars)!) : AuditSource.OfAddress(address);
            if (!_aggregator.Admit(source, entry))
            {
                _metrics.Aggregated(entry.Result);
                return false;
            }
        }

        await WriteAsync(entry).ConfigureAwait(false);
        return true;
    }

    /// <summary>Writes the summaries of windows that have closed (every window when <paramref name="all"/>: shutdown).</summary>
    public async Task WriteSummariesAsync(bool all)
    {
        foreach (var summary in _aggregator.TakeSummaries(all))
        {
            await WriteAsync(Capped(summary)).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SummaryInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await WriteSummariesAsync(all: false).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await WriteSummariesAsync(all: true).ConfigureAwait(false);
    }

    /// <summary>The entry with every text field capped and control characters replaced.</summary>
    internal static AuditRecord Capped(AuditRecord entry) => entry with
    {
        Username = Cap(entry.Username, MaxUsernameChars),
        Action = Cap(entry.Action, MaxActionChars)!,
        Target = Cap(entry.Target, MaxTargetChars),
        ClientAddress = Cap(entry.ClientAddress, MaxAddressChars),
        Detail = Cap(entry.Detail, MaxDetailChars),
    };

    /// <summary>
    /// At most <paramref name="max"/> characters of <paramref name="value"/> and a '…' when it was
    /// longer, never splitting a surrogate pair; control characters (a NUL that PostgreSQL text
    /// refuses, a newline that forges a line in an export) become '?'.
    /// </summary>
    internal static string? Cap(string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        var length = value.Length <= max ? value.Length : char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        var cut = length < value.Length;
        if (!cut && !value.AsSpan().ContainsAnyInRange('\0', '\x1f') && !value.AsSpan().ContainsAnyInRange('\x7f', '\x9f'))
        {
            return value;
        }

        return string.Create(length + (cut ? 1 : 0), (value, length, cut), static (span, state) =>
        {
            for (var i = 0; i < state.length; i++)
            {
                var c = state.value[i];
                span[i] = char.IsControl(c) ? '?' : c;
            }

            if (state.cut)
            {
                span[^1] = '…';
            }
        });
    }

    private async Task WriteAsync(AuditRecord entry)
    {
        try
        {
            // Not the request's token: an audit entry is written even when the client has gone.
            await _store.InsertAuditAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the audit must never turn a completed change into a failed request
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogAuditFailed(_logger, entry.Action, entry.Username, entry.StatusCode, ex);
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Error, Message = "Could not write the audit entry for {Action} by {User} (status {Status})")]
    private static partial void LogAuditFailed(ILogger logger, string action, string? user, int status, Exception exception);
}

/// <summary>
/// Whose refusals are summarised together: a signed-in user, or a client address keyed as
/// <see cref="ClientAddress.Key"/> does (an IPv6 one by its /64, so rotating addresses within it
/// does not open new windows).
/// </summary>
public readonly record struct AuditSource(string Key, string? Username, string? Address)
{
    public static AuditSource OfUser(string username) => new("u:" + username, username, null);

    public static AuditSource OfAddress(IPAddress? address)
    {
        var key = ClientAddress.Key(address);
        return new("a:" + key, null, address is null ? null : key);
    }
}
