namespace Patronus.Persistence.Security;

/// <summary>Where the server's audit log is kept: appended by every audited request, read by admins, expired by age.</summary>
public interface IAuditStore
{
    /// <summary>Appends one audit entry.</summary>
    Task InsertAuditAsync(AuditRecord entry, CancellationToken cancellationToken = default);

    /// <summary>Audit entries with timestamp ≥ <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> GetAuditAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes entries with timestamp &lt; <paramref name="cutoff"/> in bounded chunks, each its
    /// own transaction, so a large delete never holds SQLite's single writer for long. Returns the rows deleted.
    /// </summary>
    Task<long> DeleteAuditBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

/// <summary>One audit entry: who did what to which target, from where, when, and how it ended.</summary>
public sealed record AuditRecord(DateTimeOffset Timestamp, string? Username, string Action, string? Target, string? ClientAddress,
    string Result, int StatusCode, string? Detail = null, long AuditId = 0);
