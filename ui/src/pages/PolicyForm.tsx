import { useState } from 'preact/hooks';
import { ApiError } from '../lib/session';
import { byField, splitList } from '../lib/forms';
import { session } from '../state';

const CREATE = `mutation($name: String!, $primary: ID!, $backups: [ID!]!, $delay: Int, $prefixes: [String!]) {
  createFailoverPolicy(name: $name, primaryPathId: $primary, backupPathIds: $backups, failbackDelaySecs: $delay, prefixes: $prefixes) { policyId } }`;

/** The form's inputs by the API's field names (REST's snake_case, which GraphQL's field errors use too). */
const FIELDS = { name: 'policy-name', primary_path_id: 'policy-primary', backup_path_ids: 'policy-backups', failback_delay_secs: 'policy-delay', prefixes: 'policy-prefixes' } as const;

/** Create a failover policy (operator, admin): the API's field errors are shown on their fields. */
export function PolicyForm({ paths, onCreated }: { paths: Array<{ id: string; name: string }>; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [primary, setPrimary] = useState(paths[0]?.id ?? '');
  const [backups, setBackups] = useState('');
  const [delay, setDelay] = useState('60');
  const [prefixes, setPrefixes] = useState('');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      await session.graphql(CREATE, {
        name, primary, backups: splitList(backups), delay: delay === '' ? null : Number(delay), prefixes: splitList(prefixes),
      });
      setName('');
      setBackups('');
      setPrefixes('');
      onCreated();
    } catch (err) {
      const fields = err instanceof ApiError ? byField(err.fields) : {};
      setErrors(fields);
      setError(Object.keys(fields).length ? 'The policy was not created: see the fields marked below.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const described = (field: keyof typeof FIELDS) => (errors[field] ? `${FIELDS[field]}-error` : undefined);
  const fieldError = (field: keyof typeof FIELDS) =>
    errors[field] && <p class="error" id={`${FIELDS[field]}-error`}>{errors[field].join('; ')}</p>;

  return (
    <form class="card policy-form" onSubmit={submit} aria-labelledby="new-policy-title">
      <h3 id="new-policy-title">New policy</h3>
      {error && <p class="error" role="alert">{error}</p>}
      <label for="policy-name">Name</label>
      <input id="policy-name" required value={name} aria-invalid={!!errors.name} aria-describedby={described('name')} onInput={(e) => setName(e.currentTarget.value)} />
      {fieldError('name')}
      <label for="policy-primary">Primary path</label>
      <select id="policy-primary" value={primary} aria-invalid={!!errors.primary_path_id} aria-describedby={described('primary_path_id')} onChange={(e) => setPrimary(e.currentTarget.value)}>
        {paths.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select>
      {fieldError('primary_path_id')}
      <label for="policy-backups">Backup path ids (comma-separated, in order)</label>
      <input id="policy-backups" value={backups} aria-invalid={!!errors.backup_path_ids} aria-describedby={described('backup_path_ids')} onInput={(e) => setBackups(e.currentTarget.value)} />
      {fieldError('backup_path_ids')}
      <label for="policy-delay">Failback delay (s)</label>
      <input id="policy-delay" type="number" min="0" value={delay} aria-invalid={!!errors.failback_delay_secs} aria-describedby={described('failback_delay_secs')} onInput={(e) => setDelay(e.currentTarget.value)} />
      {fieldError('failback_delay_secs')}
      <label for="policy-prefixes">Prefixes (comma-separated)</label>
      <input id="policy-prefixes" value={prefixes} aria-invalid={!!errors.prefixes} aria-describedby={described('prefixes')} onInput={(e) => setPrefixes(e.currentTarget.value)} />
      {fieldError('prefixes')}
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create policy'}</button>
    </form>
  );
}
