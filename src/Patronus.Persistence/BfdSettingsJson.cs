using System.Text.Json;
using System.Text.Json.Serialization;
using Patronus.Engine.Bfd;

namespace Patronus.Persistence;

/// <summary>
/// The <c>sdwan_paths.bfd</c> column: a path's <see cref="BfdPathSettings"/> as JSON, including
/// the authentication secret (the store is the configuration's home, as a router's config file is;
/// the API never shows the secret). Unknown or unreadable documents read as "no BFD" rather than
/// failing the whole topology load, and are reported by the caller's validation.
/// </summary>
internal static class BfdSettingsJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static string? Write(BfdPathSettings? settings) =>
        settings is null ? null : JsonSerializer.Serialize(Document.From(settings), s_options);

    public static BfdPathSettings? Read(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Document>(json, s_options)?.ToSettings();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Document(
        string Peer, bool Multihop, int DesiredMinTxMs, int RequiredMinRxMs, int DetectMultiplier, bool Passive, int MinTtl,
        BfdAuthMode? AuthType, int AuthKeyId, string? AuthSecret, bool AdminDown)
    {
        public static Document From(BfdPathSettings s) => new(s.Peer, s.Multihop, s.DesiredMinTxMs, s.RequiredMinRxMs, s.DetectMultiplier,
            s.Passive, s.MinTtl, s.Auth?.Type, s.Auth?.KeyId ?? 0, s.Auth?.Secret, s.AdminDown);

        public BfdPathSettings ToSettings() => new(Peer, Multihop, DesiredMinTxMs, RequiredMinRxMs, DetectMultiplier, Passive, MinTtl,
            AuthType is { } type ? new BfdAuthSettings(type, AuthKeyId, AuthSecret ?? string.Empty) : null, AdminDown);
    }
}
