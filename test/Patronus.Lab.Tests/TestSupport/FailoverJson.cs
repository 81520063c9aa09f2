using System.Globalization;
using System.Text.Json;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>Reading <c>/api/v1/failover/policies</c> and <c>/api/v1/metrics/failovers</c>.</summary>
public static class FailoverJson
{
    public const string PoliciesPath = "/api/v1/failover/policies";

    public const string EventsPath = "/api/v1/metrics/failovers";

    /// <summary>One failover event as the API shows it.</summary>
    public sealed record FailoverEvent(string Type, string? From, string? To, string Reason, DateTimeOffset Timestamp)
    {
        /// <summary>A switch of the active path: failover or failback.</summary>
        public bool IsSwitch => Type is "triggered" or "failback";

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Timestamp:HH:mm:ss.fff} {Type} {From} → {To}: {Reason}");
    }

    /// <summary>The only policy of the lab.</summary>
    public static JsonElement Policy(JsonElement policies) => policies.EnumerateArray().Single();

    public static string ActivePath(JsonElement policies) => Policy(policies).GetProperty("active_path_id").GetString()!;

    /// <summary>Since when the primary has been failback-healthy while a backup is active, or null.</summary>
    public static DateTimeOffset? FailbackPendingSince(JsonElement policies) =>
        Policy(policies).GetProperty("failback_pending_since") is { ValueKind: JsonValueKind.String } s ? Time(s) : null;

    /// <summary>The events, oldest first (the API lists them newest first).</summary>
    public static IReadOnlyList<FailoverEvent> Events(JsonElement body) =>
        body.GetProperty("failovers").EnumerateArray()
            .Select(e => new FailoverEvent(
                e.GetProperty("type").GetString()!,
                e.GetProperty("from_path").GetString(),
                e.GetProperty("to_path").GetString(),
                e.GetProperty("reason").GetString()!,
                Time(e.GetProperty("timestamp"))))
            .OrderBy(e => e.Timestamp)
            .ToList();

    /// <summary>The events query for everything from <paramref name="since"/> on.</summary>
    public static string EventsSince(DateTimeOffset since) =>
        $"{EventsPath}?since={since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}";

    private static DateTimeOffset Time(JsonElement e) =>
        DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
