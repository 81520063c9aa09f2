using System.Globalization;
using System.Text.Json;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>Reading <c>/api/v1/bfd/sessions/{path}</c>.</summary>
public static class BfdJson
{
    public static string SessionPath(string pathId) => $"/api/v1/bfd/sessions/{pathId}";

    public static string State(JsonElement session) => session.GetProperty("state").GetString()!;

    public static double Timer(JsonElement session, string name) => session.GetProperty("timers").GetProperty(name).GetDouble();

    public static long Packets(JsonElement session, string name) => session.GetProperty("packets").GetProperty(name).GetInt64();

    /// <summary>When serve opened the session (its sockets and state machine): where its handshake starts.</summary>
    public static DateTimeOffset OpenedAt(JsonElement session) =>
        DateTimeOffset.Parse(session.GetProperty("opened_at").GetString()!, CultureInfo.InvariantCulture);

    public static DateTimeOffset LastChange(JsonElement session) =>
        DateTimeOffset.Parse(session.GetProperty("last_change").GetString()!, CultureInfo.InvariantCulture);
}
