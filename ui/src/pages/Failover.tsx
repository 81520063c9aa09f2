import { useEffect, useState } from 'preact/hooks';
import { pathUrl } from '../lib/router';
import { canWrite } from '../lib/session';
import { live, session, useSessionState } from '../state';
import { PolicyForm } from './PolicyForm';

const POLICY_FIELDS = 'policyId name primaryPathId backupPathIds activePathId enabled failbackDelaySecs prefixes readOnly';
const QUERY = `query($since: String!) { allFailoverPolicies { ${POLICY_FIELDS} } paths { id name }
  failoverEvents(since: $since, limit: 200) { eventId policyId eventType fromPathId toPathId reason timestamp } }`;
const LIVE = 'subscription { failoverEvents { eventId policyId eventType fromPathId toPathId reason timestamp } }';

interface Policy { policyId: string; name: string; primaryPathId: string; backupPathIds: string[]; activePathId: string; enabled: boolean; failbackDelaySecs: number; prefixes: string[]; readOnly: boolean }
interface FailoverEvent { eventId: string | null; policyId: string; eventType: string; fromPathId: string | null; toPathId: string | null; reason: string | null; timestamp: string }

/** Failover policies (enable/disable for operators and admins) and the event timeline of the last 24 h, live. */
export function Failover() {
  const { role } = useSessionState();
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [paths, setPaths] = useState<Array<{ id: string; name: string }>>([]);
  const [events, setEvents] = useState<FailoverEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const since = new Date(Date.now() - 86_400_000).toISOString();
      const data = await session.graphql<{ allFailoverPolicies: Policy[]; paths: Array<{ id: string; name: string }>; failoverEvents: FailoverEvent[] }>(QUERY, { since });
      setPolicies(data.allFailoverPolicies);
      setPaths(data.paths);
      setEvents(data.failoverEvents);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  useEffect(() => {
    void load();
    return live.subscribe<{ failoverEvents: FailoverEvent }>(LIVE, {}, ({ failoverEvents: e }) => {
      setEvents((old) => [e, ...old].slice(0, 200));
      void load(); // the active path moved: re-read the policies
    });
  }, []);

  const toggle = async (p: Policy) => {
    try {
      await session.graphql('mutation($id: ID!, $on: Boolean!) { updateFailoverPolicy(policyId: $id, enabled: $on) { policyId } }', { id: p.policyId, on: !p.enabled });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const names = new Map((policies ?? []).map((p) => [p.policyId, p.name]));
  return (
    <>
      <h1>Failover</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <section aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        {policies === null ? <p aria-busy="true">Loading…</p> : policies.length === 0 ? <p>No failover policies yet.</p> : (
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Active path</th><th scope="col">Primary → backups</th><th scope="col">Prefixes</th><th scope="col">Enabled</th>{canWrite(role) && <th scope="col">Actions</th>}</tr></thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.policyId} data-policy={p.policyId}>
                  <td>{p.name}</td>
                  <td><a href={pathUrl(p.activePathId)}>{p.activePathId}</a></td>
                  <td>{p.primaryPathId} → {p.backupPathIds.join(', ')}</td>
                  <td>{p.prefixes.join(', ')}</td>
                  <td>{p.enabled ? 'yes' : 'no'}</td>
                  {canWrite(role) && (
                    <td>{p.readOnly ? <span class="muted">in the config file</span> : (
                      <button type="button" onClick={() => void toggle(p)}>{p.enabled ? 'Disable' : 'Enable'} {p.name}</button>
                    )}</td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canWrite(role) && paths.length > 0 && <PolicyForm paths={paths} onCreated={() => void load()} />}
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events, last 24 h</h2>
        {events.length === 0 ? <p>No failover events in the last 24 hours.</p> : (
          <ol class="timeline">
            {events.map((e, i) => (
              <li key={e.eventId ?? `live-${i}`}>
                <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time>{' '}
                <strong>{names.get(e.policyId) ?? `policy ${e.policyId}`}</strong>: {e.eventType}
                {(e.fromPathId || e.toPathId) && <> — {e.fromPathId ?? '–'} → {e.toPathId ?? '–'}</>}
                {e.reason && <span class="muted"> ({e.reason})</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
