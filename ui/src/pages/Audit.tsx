import { useEffect, useState } from 'preact/hooks';
import { distinct, filterAudit, type AuditEntry, type AuditFilter } from '../lib/audit';
import { session } from '../state';

const QUERY = 'query($since: String, $limit: Int) { auditLog(since: $since, limit: $limit) { auditId timestamp username action target clientAddress result statusCode detail } }';
const SPANS: Record<string, number> = { '1 h': 3_600_000, '24 h': 86_400_000, '7 d': 7 * 86_400_000, '30 d': 30 * 86_400_000 };
/** The API's largest page. */
const LIMIT = 1000;

/** The audit log (admin): changes and sign-ins, newest first, filtered by time on the server and by user, action, result and text here. */
export function Audit() {
  const [span, setSpan] = useState('24 h');
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [filter, setFilter] = useState<AuditFilter>({ user: '', action: '', result: '', text: '' });
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    session.graphql<{ auditLog: AuditEntry[] }>(QUERY, { since: new Date(Date.now() - SPANS[span]).toISOString(), limit: LIMIT })
      .then((d) => !cancelled && (setEntries(d.auditLog), setError(null)))
      .catch((err) => !cancelled && setError((err as Error).message));
    return () => {
      cancelled = true;
    };
  }, [span]);

  const shown = entries ? filterAudit(entries, filter) : [];
  const select = (key: 'user' | 'action' | 'result', label: string, field: 'username' | 'action' | 'result') => (
    <>
      <label for={`audit-${key}`}>{label}</label>
      <select id={`audit-${key}`} value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.currentTarget.value })}>
        <option value="">Any</option>
        {distinct(entries ?? [], field).map((v) => <option key={v} value={v}>{v}</option>)}
      </select>
    </>
  );

  return (
    <>
      <h1>Audit log</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <label for="audit-span">Last</label>
        <select id="audit-span" value={span} onChange={(e) => setSpan(e.currentTarget.value)}>
          {Object.keys(SPANS).map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        {select('user', 'User', 'username')}
        {select('action', 'Action', 'action')}
        {select('result', 'Result', 'result')}
        <label for="audit-text">Target or detail contains</label>
        <input id="audit-text" value={filter.text} onInput={(e) => setFilter({ ...filter, text: e.currentTarget.value })} />
      </form>
      {entries === null ? <p aria-busy="true">Loading…</p> : (
        <>
          <p class="muted" data-testid="audit-count">{shown.length} of {entries.length} entries{entries.length === LIMIT ? ` (the newest ${LIMIT}: choose a shorter time for older ones)` : ''}</p>
          <table data-testid="audit-log">
            <thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Result</th><th scope="col">From</th><th scope="col">Detail</th></tr></thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.auditId} data-action={e.action} data-user={e.username ?? ''}>
                  <td><time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time></td>
                  <td>{e.username ?? '–'}</td>
                  <td>{e.action}</td>
                  <td>{e.target ?? '–'}</td>
                  <td>{e.result} <span class="muted">({e.statusCode})</span></td>
                  <td>{e.clientAddress ?? '–'}</td>
                  <td>{e.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
