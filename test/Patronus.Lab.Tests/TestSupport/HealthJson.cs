using System.Text.Json;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>Reads the <c>GET /api/v1/metrics/health</c> document: <c>{ "paths": [ { "path_id", "health": { … } } ] }</c>.</summary>
public static class HealthJson
{
    public const string MetricsPath = "/api/v1/metrics/health";

    /// <summary>The <c>health</c> object of a path, or null when the path is not listed.</summary>
    public static JsonElement? Health(JsonElement metrics, string pathId)
    {
        foreach (var p in metrics.GetProperty("paths").EnumerateArray())
        {
            if (p.GetProperty("path_id").GetString() == pathId)
            {
                return p.GetProperty("health");
            }
        }

        return null;
    }

    /// <summary>"up", "degraded", "down", or null when the path is not listed or not measured yet.</summary>
    public static string? Status(JsonElement metrics, string pathId) =>
        Health(metrics, pathId) is { } h && h.GetProperty("last_checked").ValueKind == JsonValueKind.String
            ? h.GetProperty("status").GetString()
            : null;

    public static double Number(JsonElement metrics, string pathId, string field) =>
        Health(metrics, pathId)?.GetProperty(field).GetDouble() ?? double.NaN;
}
