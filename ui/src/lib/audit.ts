export interface AuditEntry {
  auditId: string;
  timestamp: string;
  username: string | null;
  action: string;
  target: string | null;
  clientAddress: string | null;
  result: string;
  statusCode: number;
  detail: string | null;
}

export interface AuditFilter { user: string; action: string; result: string; text: string }

/**
 * The entries the filter keeps: user, action and result exact (empty: any), text anywhere in the
 * target or the detail (case-insensitive). The API filters by time (since) and count; these it
 * leaves to the client.
 */
export function filterAudit(entries: readonly AuditEntry[], f: AuditFilter): AuditEntry[] {
  const text = f.text.trim().toLowerCase();
  return entries.filter((e) =>
    (f.user === '' || (e.username ?? '') === f.user)
    && (f.action === '' || e.action === f.action)
    && (f.result === '' || e.result === f.result)
    && (text === '' || `${e.target ?? ''} ${e.detail ?? ''}`.toLowerCase().includes(text)));
}

/** The distinct values of a field, sorted: the options of a filter. */
export function distinct(entries: readonly AuditEntry[], field: 'username' | 'action' | 'result'): string[] {
  return [...new Set(entries.map((e) => e[field] ?? ''))].filter((v) => v !== '').sort();
}
