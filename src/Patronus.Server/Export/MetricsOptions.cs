using System.ComponentModel.DataAnnotations;

namespace Patronus.Server.Export;

/// <summary>
/// Config section <c>Metrics</c>. <c>/metrics</c> answers without a token by default — the API
/// binds to loopback unless told otherwise, and a scraper rarely holds a user's token. Set
/// <see cref="Token"/> to require <c>Authorization: Bearer &lt;token&gt;</c> (Prometheus:
/// <c>authorization: { credentials_file: … }</c>), e.g. when listening beyond loopback.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Bearer token required by <c>/metrics</c>; null or empty: none. At least 16 characters: generate it (<c>openssl rand -hex 32</c>).</summary>
    [MinLength(16, ErrorMessage = "Metrics:Token must be at least 16 characters (generate one: openssl rand -hex 32)")]
    public string? Token { get; set; }
}
