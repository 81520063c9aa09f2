namespace Patronus.Persistence.Security;

/// <summary>Secrets every server instance on one database must share (the token signing key).</summary>
public interface ISecretStore
{
    /// <summary>
    /// Returns the secret stored under <paramref name="name"/>, storing <paramref name="candidate"/>
    /// first when there is none. Race-safe: of several instances starting at once, every one gets the
    /// value the first insert stored.
    /// </summary>
    Task<string> GetOrAddSecretAsync(string name, string candidate, CancellationToken cancellationToken = default);
}
