import { useEffect, useState } from 'preact/hooks';
import { pathUrl } from '../lib/router';
import { canWrite } from '../lib/session';
import { BFD_FIELDS, bfdDiagnosticText, bfdStateLabel, type BfdSession } from '../lib/marks';
import { live, session, useSessionState } from '../state';

const SESSIONS = `{ bfdSessions { ${BFD_FIELDS} }
  paths { id name bfd { peer multihop desiredMinTxMs requiredMinRxMs detectMultiplier passive adminDown } } }`;
const LIVE = `subscription { bfdSessionChanged { ${BFD_FIELDS} } }`;
/** Negotiated timers move without a state change (a Poll sequence): read again this often. */
const REFRESH_MS = 5000;

interface PathBfd { id: string; name: string; bfd: { peer: string; multihop: boolean; desiredMinTxMs: number; requiredMinRxMs: number; detectMultiplier: number; passive: boolean; adminDown: boolean } | null }

const ms = (v: number | null) => (v == null ? '–' : `${Math.round(v * 10) / 10} ms`);

/** BFD sessions: state, the peer's state, negotiated timers, diagnostics, live; admin-down/up for operators and admins. */
export function Bfd() {
  const { role } = useSessionState();
  const writer = canWrite(role);
  const [sessions, setSessions] = useState<Map<string, BfdSession> | null>(null);
  const [paths, setPaths] = useState<Map<string, PathBfd>>(new Map());
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const data = await session.graphql<{ bfdSessions: BfdSession[]; paths: PathBfd[] }>(SESSIONS);
      setSessions(new Map(data.bfdSessions.map((s) => [s.pathId, s])));
      setPaths(new Map(data.paths.map((p) => [p.id, p])));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    const unsubscribe = live.subscribe<{ bfdSessionChanged: BfdSession }>(LIVE, {}, ({ bfdSessionChanged: s }) =>
      setSessions((old) => new Map(old ?? []).set(s.pathId, s)));
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, []);

  const setAdminDown = async (pathId: string, down: boolean) => {
    try {
      await session.graphql('mutation($id: ID!, $down: Boolean!) { setBfdAdminDown(pathId: $id, adminDown: $down) }', { id: pathId, down });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const rows = [...(sessions?.values() ?? [])].sort((a, b) => a.pathId.localeCompare(b.pathId));
  return (
    <>
      <h1>BFD sessions</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {sessions === null ? <p aria-busy="true">Loading…</p> : rows.length === 0 ? <p>No path has a BFD session (configure one on a path: <code>bfd.peer</code>).</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">Path</th><th scope="col">Peer</th><th scope="col">State</th><th scope="col">Peer's state</th><th scope="col">Diagnostic</th>
              <th scope="col" class="num">Transmit</th><th scope="col" class="num">Detection time</th><th scope="col">Configured</th>
              <th scope="col">Last change</th>{writer && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const p = paths.get(s.pathId);
              const name = p?.name ?? s.pathId;
              return (
                <tr key={s.pathId} data-bfd={s.pathId} data-state={s.state}>
                  <td><a href={pathUrl(s.pathId)}>{name}</a></td>
                  <td>{p?.bfd?.peer ?? '–'}{p?.bfd?.multihop && <span class="muted"> (multihop)</span>}</td>
                  <td><span class={`badge bfd-${s.state}`}>{bfdStateLabel(s.state)}</span>{s.adminDown && <span class="muted"> (held by an operator or the config)</span>}</td>
                  <td>{s.remoteState ? bfdStateLabel(s.remoteState) : '–'}{s.peerAdminDown && <span class="muted"> (peer maintenance)</span>}</td>
                  <td>{s.error ? <span class="error">{s.error}</span> : bfdDiagnosticText(s.localDiagnostic) ?? '–'}</td>
                  <td class="num">{ms(s.transmitIntervalMs)}</td>
                  <td class="num">{ms(s.detectionTimeMs)}</td>
                  <td>{p?.bfd ? `tx ${p.bfd.desiredMinTxMs} / rx ${p.bfd.requiredMinRxMs} ms × ${p.bfd.detectMultiplier}${p.bfd.passive ? ', passive' : ''}` : '–'}</td>
                  <td>{s.lastChange ? <time dateTime={s.lastChange}>{new Date(s.lastChange).toLocaleString()}</time> : '–'}</td>
                  {writer && (
                    <td>{p?.bfd?.adminDown ? <span class="muted">down in the path's config</span> : s.adminDown
                      ? <button type="button" onClick={() => void setAdminDown(s.pathId, false)}>Admin up {name}</button>
                      : <button type="button" onClick={() => void setAdminDown(s.pathId, true)}>Admin down {name}</button>}</td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="muted">Transmit and detection time are the negotiated values (RFC 5880 §6.8.2, §6.8.4); an admin-down from here holds until admin-up or a restart (it is not saved).</p>
    </>
  );
}
