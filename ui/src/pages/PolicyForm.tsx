import { useState } from 'preact/hooks';
import { ApiError } from '../lib/session';
import { byField, splitList } from '../lib/forms';
import { CREATE_POLICY, createVariables, updateMutation, type Policy, type PolicyDraft } from '../lib/failover';
import { session } from '../state';

/** The form's inputs by the API's field names (REST's snake_case, which GraphQL's field errors use too). */
const FIELDS = {
  name: 'name', primary_path_id: 'primary', backup_path_ids: 'backups', failback_delay_secs: 'delay',
  failover_threshold: 'failover', failback_threshold: 'failback', prefixes: 'prefixes',
} as const;
type Field = keyof typeof FIELDS;

interface Props {
  paths: Array<{ id: string; name: string }>;
  /** The policy to edit; absent: a form that creates one. */
  policy?: Policy;
  onDone: () => void;
  onCancel?: () => void;
}

/**
 * Create a failover policy, or edit one (operator, admin): the API's field errors are shown on
 * their fields. Name and primary path are fixed once created (the API changes neither).
 */
export function PolicyForm({ paths, policy, onDone, onCancel }: Props) {
  const prefix = policy ? `edit-${policy.policyId}` : 'policy';
  const [draft, setDraft] = useState<Record<keyof PolicyDraft, string>>({
    name: policy?.name ?? '',
    primary: policy?.primaryPathId ?? paths[0]?.id ?? '',
    backups: policy?.backupPathIds.join(', ') ?? '',
    delay: String(policy?.failbackDelaySecs ?? 60),
    failoverThreshold: policy ? String(policy.failoverThreshold) : '',
    failbackThreshold: policy ? String(policy.failbackThreshold) : '',
    prefixes: policy?.prefixes.join(', ') ?? '',
  });
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof PolicyDraft) => (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    const values: PolicyDraft = { ...draft, backups: splitList(draft.backups), prefixes: splitList(draft.prefixes) };
    try {
      if (policy) {
        const update = updateMutation(policy, values);
        if (update) await session.graphql(update.query, update.variables);
      } else {
        await session.graphql(CREATE_POLICY, createVariables(values));
        setDraft({ ...draft, name: '', backups: '', prefixes: '' });
      }
      onDone();
    } catch (err) {
      const fields = err instanceof ApiError ? byField(err.fields) : {};
      setErrors(fields);
      const what = policy ? 'The policy was not changed' : 'The policy was not created';
      setError(Object.keys(fields).length ? `${what}: see the fields marked below.` : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const id = (field: Field) => `${prefix}-${FIELDS[field]}`;
  const attrs = (field: Field) => ({
    id: id(field),
    'aria-invalid': !!errors[field],
    'aria-describedby': errors[field] ? `${id(field)}-error` : undefined,
  });
  const fieldError = (field: Field) => errors[field] && <p class="error" id={`${id(field)}-error`}>{errors[field].join('; ')}</p>;
  const title = policy ? `Edit ${policy.name}` : 'New policy';

  return (
    <form class="card policy-form" onSubmit={submit} aria-labelledby={`${prefix}-title`} data-form={prefix}>
      <h3 id={`${prefix}-title`}>{title}</h3>
      {error && <p class="error" role="alert">{error}</p>}
      <label for={id('name')}>Name</label>
      <input {...attrs('name')} required disabled={!!policy} value={draft.name} onInput={set('name')} />
      {fieldError('name')}
      <label for={id('primary_path_id')}>Primary path</label>
      <select {...attrs('primary_path_id')} disabled={!!policy} value={draft.primary} onChange={set('primary')}>
        {paths.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select>
      {fieldError('primary_path_id')}
      <label for={id('backup_path_ids')}>Backup path ids (comma-separated, in order)</label>
      <input {...attrs('backup_path_ids')} value={draft.backups} onInput={set('backups')} />
      {fieldError('backup_path_ids')}
      <label for={id('failback_delay_secs')}>Failback delay (s)</label>
      <input {...attrs('failback_delay_secs')} type="number" min="0" value={draft.delay} onInput={set('delay')} />
      {fieldError('failback_delay_secs')}
      <label for={id('failover_threshold')}>Failover below score (empty: default)</label>
      <input {...attrs('failover_threshold')} type="number" step="any" value={draft.failoverThreshold} onInput={set('failoverThreshold')} />
      {fieldError('failover_threshold')}
      <label for={id('failback_threshold')}>Failback at score (empty: default)</label>
      <input {...attrs('failback_threshold')} type="number" step="any" value={draft.failbackThreshold} onInput={set('failbackThreshold')} />
      {fieldError('failback_threshold')}
      <label for={id('prefixes')}>Prefixes (comma-separated)</label>
      <input {...attrs('prefixes')} value={draft.prefixes} onInput={set('prefixes')} />
      {fieldError('prefixes')}
      <div class="actions">
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : policy ? 'Save changes' : 'Create policy'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
