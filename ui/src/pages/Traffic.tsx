import { useEffect, useRef, useState } from 'preact/hooks';
import { pathUrl } from '../lib/router';
import { formatBitRate, formatBytes, ratePerSecond, type CounterSample } from '../lib/traffic';
import { session } from '../state';

const QUERY = `{ paths { id name linkId }
  exportMetrics(format: JSON) { exportedAt paths { pathId traffic { bytesTotal packetsTotal activeFlows } }
    policies { policyId name bytesMatched packetsMatched activeFlows } } }`;
/** Counters are read this often; rates are the difference between two reads. */
const REFRESH_MS = 5000;

interface Row { key: string; name: string; href?: string; detail?: string; bytes: number | null; packets: number | null; flows: number | null }
interface Data {
  paths: Array<{ id: string; name: string; linkId: string }>;
  exportMetrics: {
    exportedAt: string;
    paths: Array<{ pathId: string; traffic: { bytesTotal: number | null; packetsTotal: number | null; activeFlows: number | null } }>;
    policies: Array<{ policyId: string; name: string; bytesMatched: number | null; packetsMatched: number | null; activeFlows: number | null }>;
  };
}

/** Traffic per path (leaving through its link) and per failover policy (matching its prefixes): totals, rates over the last read, active flows. */
export function Traffic() {
  const [rows, setRows] = useState<{ paths: Row[]; policies: Row[]; at: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const previous = useRef(new Map<string, CounterSample>());
  const [rates, setRates] = useState(new Map<string, { bytes: number | null; packets: number | null }>());

  useEffect(() => {
    const load = async () => {
      try {
        const d = await session.graphql<Data>(QUERY);
        const at = Date.parse(d.exportMetrics.exportedAt);
        const names = new Map(d.paths.map((p) => [p.id, p]));
        const paths: Row[] = d.exportMetrics.paths.map((p) => ({
          key: `path:${p.pathId}`, name: names.get(p.pathId)?.name ?? p.pathId, href: pathUrl(p.pathId), detail: names.get(p.pathId)?.linkId,
          bytes: p.traffic.bytesTotal, packets: p.traffic.packetsTotal, flows: p.traffic.activeFlows,
        }));
        const policies: Row[] = d.exportMetrics.policies.map((p) => ({
          key: `policy:${p.policyId}`, name: p.name, bytes: p.bytesMatched, packets: p.packetsMatched, flows: p.activeFlows,
        }));
        const next = new Map<string, { bytes: number | null; packets: number | null }>();
        for (const r of [...paths, ...policies]) {
          const sample = { bytes: r.bytes, packets: r.packets, at };
          const prev = previous.current.get(r.key);
          next.set(r.key, { bytes: ratePerSecond(prev, sample, 'bytes'), packets: ratePerSecond(prev, sample, 'packets') });
          previous.current.set(r.key, sample);
        }
        setRates(next);
        setRows({ paths, policies, at });
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const counted = rows ? [...rows.paths, ...rows.policies].some((r) => r.bytes != null) : true;
  const table = (caption: string, list: Row[], id: string) => (
    <table data-testid={id}>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr><th scope="col">{id === 'traffic-paths' ? 'Path' : 'Policy'}</th><th scope="col" class="num">Rate</th><th scope="col" class="num">Packets/s</th>
          <th scope="col" class="num">Total</th><th scope="col" class="num">Packets</th><th scope="col" class="num">Active flows</th></tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.key} data-row={r.key}>
            <td>{r.href ? <a href={r.href}>{r.name}</a> : r.name}{r.detail && <span class="muted"> ({r.detail})</span>}</td>
            <td class="num">{formatBitRate(rates.get(r.key)?.bytes ?? null)}</td>
            <td class="num">{rates.get(r.key)?.packets == null ? '–' : Math.round(rates.get(r.key)!.packets!)}</td>
            <td class="num">{formatBytes(r.bytes)}</td>
            <td class="num">{r.packets ?? '–'}</td>
            <td class="num">{r.flows ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

  return (
    <>
      <h1>Traffic</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {!counted && <p class="note" data-testid="traffic-off">Traffic accounting is not running on this controller (see docs/traffic.md): the counters show –.</p>}
      {rows === null ? <p aria-busy="true">Loading…</p> : (
        <>
          <h2>Per path</h2>
          {table('Traffic per path', rows.paths, 'traffic-paths')}
          <h2>Per failover policy</h2>
          {rows.policies.length === 0 ? <p>No failover policies.</p> : table('Traffic per policy', rows.policies, 'traffic-policies')}
          <p class="muted">Read every {REFRESH_MS / 1000} s (last {new Date(rows.at).toLocaleTimeString()}); rates are the change since the previous read.</p>
        </>
      )}
    </>
  );
}
