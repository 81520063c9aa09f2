import { useEffect, useRef, useState } from 'preact/hooks';
import { pathUrl } from '../lib/router';
import { canWrite } from '../lib/session';
import {
  EVENT_FIELDS, POLICY_FIELDS, awayDurations, formatDuration, matchesFilter, policyPhase,
  type EventFilter, type FailoverEvent, type Policy,
} from '../lib/failover';
import { live, session, useNow, useSessionState } from '../state';
import { PolicyForm } from './PolicyForm';

const POLICIES = `{ allFailoverPolicies { ${POLICY_FIELDS} } paths { id name } }`;
const EVENTS = `query($since: String!, $policyId: ID) { failoverEvents(since: $since, policyId: $policyId, limit: 1000) { ${EVENT_FIELDS} } }`;
const LIVE = `subscription { failoverEvents { ${EVENT_FIELDS} } }`;

/** The policies' state (active path, failback hold-down) is the loop's, which moves without an event: read again this often. */
const POLICY_REFRESH_MS = 5000;
const SPANS: Record<string, number> = { '1 h': 3_600_000, '24 h': 86_400_000, '7 d': 7 * 86_400_000, '30 d': 30 * 86_400_000 };

/** datetime-local's value of a unix ms time (local time, minutes). */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** Failover policies (create, edit, delete, enable/disable for operators and admins) with their live state, and the event timeline, filterable by policy and time. */
export function Failover() {
  const { role } = useSessionState();
  const writer = canWrite(role);
  const now = useNow(1000);
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [paths, setPaths] = useState<Array<{ id: string; name: string }>>([]);
  const [events, setEvents] = useState<FailoverEvent[]>([]);
  const [filter, setFilter] = useState<EventFilter>(() => ({ policyId: null, since: Date.now() - SPANS['24 h'], until: null }));
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filterRef = useRef(filter);
  filterRef.current = filter;

  const loadPolicies = async () => {
    try {
      const data = await session.graphql<{ allFailoverPolicies: Policy[]; paths: Array<{ id: string; name: string }> }>(POLICIES);
      setPolicies(data.allFailoverPolicies);
      setPaths(data.paths);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  useEffect(() => {
    void loadPolicies();
    const timer = setInterval(() => void loadPolicies(), POLICY_REFRESH_MS);
    const unsubscribe = live.subscribe<{ failoverEvents: FailoverEvent }>(LIVE, {}, ({ failoverEvents: e }) => {
      if (matchesFilter(e, filterRef.current)) setEvents((old) => [e, ...old].slice(0, 1000));
      void loadPolicies(); // the active path moved: read the policies again
    });
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, []);

  useEffect(() => {
    let cancelled = false;
    session.graphql<{ failoverEvents: FailoverEvent[] }>(EVENTS, { since: new Date(filter.since).toISOString(), policyId: filter.policyId })
      .then((d) => {
        if (cancelled) return;
        // The API returns from since on; until is applied here.
        setEvents(d.failoverEvents.filter((e) => matchesFilter(e, filter)).sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp)));
        setError(null);
      })
      .catch((err) => !cancelled && setError((err as Error).message));
    return () => {
      cancelled = true;
    };
  }, [filter]);

  const act = async (query: string, variables: Record<string, unknown>) => {
    try {
      await session.graphql(query, variables);
      await loadPolicies();
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const toggle = (p: Policy) => act('mutation($id: ID!, $on: Boolean!) { updateFailoverPolicy(policyId: $id, enabled: $on) { policyId } }', { id: p.policyId, on: !p.enabled });
  const remove = (p: Policy) => act('mutation($id: ID!) { deleteFailoverPolicy(policyId: $id) }', { id: p.policyId }).then(() => setDeleting(null));

  const names = new Map((policies ?? []).map((p) => [p.policyId, p.name]));
  const away = awayDurations(events);
  const editingPolicy = policies?.find((p) => p.policyId === editing);
  return (
    <>
      <h1>Failover</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <section aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        {policies === null ? <p aria-busy="true">Loading…</p> : policies.length === 0 ? <p>No failover policies yet.</p> : (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Active path</th><th scope="col">State</th><th scope="col">Primary → backups</th>
                <th scope="col">Prefixes</th><th scope="col">Enabled</th>{writer && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {policies.map((p) => {
                const phase = policyPhase(p, now.getTime());
                return (
                  <tr key={p.policyId} data-policy={p.policyId} data-name={p.name} data-phase={phase.kind}>
                    <td>{p.name}</td>
                    <td><a href={pathUrl(p.activePathId)}>{p.activePathId}</a></td>
                    <td class={`phase phase-${phase.kind}`} data-testid="policy-phase">
                      {phase.text}
                      {p.lastSwitch && <span class="muted"> · last switch {new Date(p.lastSwitch).toLocaleString()}</span>}
                    </td>
                    <td>{p.primaryPathId} → {p.backupPathIds.join(', ')} <span class="muted">(failback after {formatDuration(p.failbackDelaySecs)})</span></td>
                    <td>{p.prefixes.join(', ')}</td>
                    <td>{p.enabled ? 'yes' : 'no'}</td>
                    {writer && (
                      <td class="actions">{p.readOnly ? <span class="muted">in the config file</span> : deleting === p.policyId ? (
                        <>
                          <span>Delete {p.name}?</span>
                          <button type="button" class="danger" onClick={() => void remove(p)}>Yes, delete {p.name}</button>
                          <button type="button" onClick={() => setDeleting(null)}>Keep</button>
                        </>
                      ) : (
                        <>
                          <button type="button" onClick={() => void toggle(p)}>{p.enabled ? 'Disable' : 'Enable'} {p.name}</button>
                          <button type="button" onClick={() => setEditing(p.policyId)}>Edit {p.name}</button>
                          <button type="button" onClick={() => setDeleting(p.policyId)}>Delete {p.name}</button>
                        </>
                      )}</td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {writer && editingPolicy && (
          <PolicyForm key={editingPolicy.policyId} paths={paths} policy={editingPolicy}
            onDone={() => { setEditing(null); void loadPolicies(); }} onCancel={() => setEditing(null)} />
        )}
        {writer && !editingPolicy && paths.length > 0 && <PolicyForm paths={paths} onDone={() => void loadPolicies()} />}
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <form class="filters" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
          <label for="event-policy">Policy</label>
          <select id="event-policy" value={filter.policyId ?? ''} onChange={(e) => setFilter({ ...filter, policyId: e.currentTarget.value || null })}>
            <option value="">All policies</option>
            {(policies ?? []).map((p) => <option key={p.policyId} value={p.policyId}>{p.name}</option>)}
          </select>
          <label for="event-since">From</label>
          <input id="event-since" type="datetime-local" value={localInput(filter.since)}
            onChange={(e) => { const t = Date.parse(e.currentTarget.value); if (Number.isFinite(t)) setFilter({ ...filter, since: t }); }} />
          <label for="event-until">To</label>
          <input id="event-until" type="datetime-local" value={filter.until === null ? '' : localInput(filter.until)}
            onChange={(e) => { const t = Date.parse(e.currentTarget.value); setFilter({ ...filter, until: Number.isFinite(t) ? t : null }); }} />
          <span role="group" aria-label="Last">
            {Object.entries(SPANS).map(([label, ms]) => (
              <button type="button" key={label} onClick={() => setFilter({ ...filter, since: Date.now() - ms, until: null })}>Last {label}</button>
            ))}
          </span>
        </form>
        {events.length === 0 ? <p>No failover events {filter.policyId ? `of ${names.get(filter.policyId) ?? 'this policy'} ` : ''}in this time.</p> : (
          <ol class="timeline" data-testid="event-timeline">
            {events.map((e, i) => (
              <li key={e.eventId ?? `live-${i}`} data-policy={e.policyId} data-type={e.eventType}>
                <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time>{' '}
                <strong>{names.get(e.policyId) ?? `policy ${e.policyId}`}</strong>: {e.eventType}
                {(e.fromPathId || e.toPathId) && <> — {e.fromPathId ?? '–'} → {e.toPathId ?? '–'}</>}
                {away.has(i) && <> after {formatDuration(away.get(i)!)} away</>}
                {e.reason && <span class="muted"> ({e.reason})</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
