import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Pure } from '../components/Pure';
import { createBatcher } from '../lib/batch';
import {
  countByStatus, formatMs, formatPct, formatScore, pushBounded, rowBlocks, sparklinePoints, statusLabel, topologyTree,
  type Link, type PathHealth, type PathInfo, type Site,
} from '../lib/health';
import { pathUrl } from '../lib/router';
import { live, session } from '../state';
import { TopologyMap } from '../components/TopologyMap';

const HEALTH_FIELDS = 'pathId status healthScore latencyMs packetLossPct jitterMs lastChecked';
const OVERVIEW = `{ sites { id name } links { id siteId name }
  paths { id name linkId siteId remoteSiteId targets health { ${HEALTH_FIELDS} } }
  allFailoverPolicies { policyId name activePathId } }`;
const LIVE = `subscription { pathHealthChanged { ${HEALTH_FIELDS} } }`;

/**
 * Live updates reach the table at most this often (in one batch, in an animation frame): with a
 * thousand paths, each render and layout is paid four times a second instead of sixty, for at
 * most this much more event → screen time (issue 17's bar: 2 s).
 */
const UPDATE_INTERVAL_MS = 250;

/** Rows per table block (one block is laid out and painted only while on screen). */
const BLOCK_ROWS = 40;

/** Points kept per sparkline: the last two minutes at the monitor's one update a second. */
const SPARK_POINTS = 120;

/** The sparklines outlive the page (module scope): coming back from a path page keeps the last minutes. */
let sparkCache = new Map<string, number[]>();

interface Topology { sites: Site[]; links: Link[]; paths: Array<PathInfo & { targets: string[]; health: PathHealth | null }>; allFailoverPolicies: Array<{ policyId: string; name: string; activePathId: string }> }

export function Overview() {
  const [topology, setTopology] = useState<Topology | null>(null);
  const [health, setHealth] = useState<Map<string, PathHealth>>(new Map());
  const [sparks, setSparks] = useState<Map<string, number[]>>(sparkCache);
  const [error, setError] = useState<string | null>(null);
  const known = useRef(new Set<string>());
  const reloading = useRef(false);

  const load = async () => {
    try {
      const data = await session.graphql<Topology>(OVERVIEW);
      known.current = new Set(data.paths.map((p) => p.id));
      setTopology(data);
      setHealth((old) => {
        const next = new Map(old);
        for (const p of data.paths) if (p.health && !next.has(p.id)) next.set(p.id, p.health);
        return next;
      });
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      reloading.current = false;
    }
  };

  useEffect(() => {
    void load();
    const batcher = createBatcher<PathHealth>((batch) => {
      setHealth((old) => {
        const next = new Map(old);
        for (const h of batch) next.set(h.pathId, h);
        return next;
      });
      setSparks((old) => {
        const next = new Map(old);
        for (const h of batch) next.set(h.pathId, pushBounded(next.get(h.pathId) ?? [], h.latencyMs, SPARK_POINTS));
        sparkCache = next;
        return next;
      });
      // A path this page has not seen: the topology changed, read it again (once at a time).
      if (batch.some((h) => !known.current.has(h.pathId)) && !reloading.current) {
        reloading.current = true;
        void load();
      }
    }, UPDATE_INTERVAL_MS);
    const unsubscribe = live.subscribe<{ pathHealthChanged: PathHealth }>(LIVE, {}, ({ pathHealthChanged: h }) => batcher.push(h.pathId, h));
    return () => {
      unsubscribe();
      batcher.dispose();
    };
  }, []);

  // Computed once per topology, not once per frame of updates.
  const tree = useMemo(() => (topology ? topologyTree(topology.sites, topology.links, topology.paths) : [])
    .map((row) => ({ ...row, blocks: rowBlocks(row.links, BLOCK_ROWS) })), [topology]);
  const activeIn = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of topology?.allFailoverPolicies ?? []) m.set(p.activePathId, m.has(p.activePathId) ? `${m.get(p.activePathId)}, ${p.name}` : p.name);
    return m;
  }, [topology]);

  if (error && !topology) return <p class="error" role="alert">Could not load the overview: {error}</p>;
  if (!topology) return <p aria-busy="true">Loading…</p>;

  const counts = countByStatus(topology.paths, health);
  return (
    <>
      <h1>Overview</h1>
      <ul class="counts" aria-label="Paths by status">
        <li class="status-UP"><strong data-testid="count-up">{counts.UP}</strong> Up</li>
        <li class="status-DEGRADED"><strong data-testid="count-degraded">{counts.DEGRADED}</strong> Degraded</li>
        <li class="status-DOWN"><strong data-testid="count-down">{counts.DOWN}</strong> Down</li>
        {counts.UNKNOWN > 0 && <li><strong>{counts.UNKNOWN}</strong> not probed yet</li>}
      </ul>
      <TopologyMap sites={topology.sites} paths={topology.paths} health={health} />
      {tree.map(({ site, blocks }) => (
        <section class="site" key={site.id} aria-labelledby={`site-${site.id}`}>
          <h2 id={`site-${site.id}`}>{site.name}</h2>
          {blocks.map((rows, b) => (
            <div class="block" key={b}>
            <table class="paths">
              <caption class="visually-hidden">Paths of {site.name}{b > 0 ? `, continued (${b * BLOCK_ROWS + 1}–${b * BLOCK_ROWS + rows.length})` : ''}</caption>
              <thead class={b > 0 ? 'visually-hidden' : undefined}>
                <tr>
                  <th scope="col">Link</th><th scope="col">Path</th><th scope="col">Status</th><th scope="col" class="num">Score</th>
                  <th scope="col" class="num">Latency</th><th scope="col" class="num">Loss</th><th scope="col" class="num">Jitter</th>
                  <th scope="col">Latency, last 2 min</th><th scope="col">Active for</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ path: p, link, span }) => (
                  <PathRow key={p.id} path={p} linkName={span === null ? null : link.name} span={span ?? 1}
                    health={health.get(p.id)} spark={sparks.get(p.id)} activeFor={activeIn.get(p.id)} />
                ))}
              </tbody>
            </table>
            </div>
          ))}
        </section>
      ))}
    </>
  );
}

interface RowProps { path: PathInfo; linkName: string | null; span: number; health: PathHealth | undefined; spark: number[] | undefined; activeFor: string | undefined }

/** One path's row: renders again only when its own health, sparkline or policies changed. */
class PathRow extends Pure<RowProps> {
  render({ path: p, linkName, span, health: h, spark, activeFor }: RowProps) {
    return (
      <tr data-path={p.id} data-status={h?.status ?? 'UNKNOWN'} data-checked={h?.lastChecked ?? undefined}>
        {linkName !== null && <th scope="rowgroup" rowSpan={span}>{linkName}</th>}
        <td><a href={pathUrl(p.id)}>{p.name}</a></td>
        <td><span class={`badge status-${h?.status ?? 'UNKNOWN'}`}>{statusLabel(h?.status)}</span></td>
        <td class="num">{formatScore(h?.healthScore)}</td>
        <td class="num">{formatMs(h?.latencyMs)}</td>
        <td class="num">{formatPct(h?.packetLossPct)}</td>
        <td class="num">{formatMs(h?.jitterMs)}</td>
        <td><Sparkline values={spark ?? []} label={`latency trend of ${p.name}`} /></td>
        <td>{activeFor ?? ''}</td>
      </tr>
    );
  }
}

function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <span class="muted">–</span>;
  return (
    <svg class="spark" width="120" height="24" viewBox="-1 -1 122 26" role="img" aria-label={label}>
      <polyline fill="none" stroke="currentColor" stroke-width="1.5" points={sparklinePoints(values, 120, 24)} />
    </svg>
  );
}
