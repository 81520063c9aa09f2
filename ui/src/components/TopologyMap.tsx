import { useMemo } from 'preact/hooks';
import { statusLabel, type PathHealth, type Status } from '../lib/health';
import { Pure } from './Pure';
import { bundleOf, layoutTopology, type MapTunnel } from '../lib/topology';
import { pathUrl } from '../lib/router';

interface Props {
  sites: Array<{ id: string; name: string }>;
  paths: Array<{ id: string; name: string; siteId: string | null; remoteSiteId: string | null; targets: string[] }>;
  health: ReadonlyMap<string, PathHealth>;
  /** Tunnel peers, drawn as cased edges to their own nodes. */
  tunnels?: readonly MapTunnel[];
}

const WIDTH = 640;
const ROW = 70;
/** Room for the node labels beside the two columns. */
const MARGIN = 230;

const NO_TUNNELS: readonly MapTunnel[] = [];

/** Sites as nodes, paths (and tunnels) as edges coloured by their live status; each edge links to its path page. */
export function TopologyMap({ sites, paths, health, tunnels = NO_TUNNELS }: Props) {
  // The layout depends on the topology only: computed once per topology, not once per frame of updates.
  const { nodes, edges, height, at, names } = useMemo(() => {
    const layout = layoutTopology(sites, paths, WIDTH, ROW, undefined, tunnels);
    return { ...layout, at: new Map(layout.nodes.map((n) => [n.id, n])), names: new Map(paths.map((p) => [p.id, p.name])) };
  }, [sites, paths, tunnels]);
  return (
    // The box's size comes from CSS alone (its aspect ratio), so the map is a layout and paint
    // boundary: a thousand edges are not laid out again whenever something else on the page changes.
    <div class="topology-box" style={{ aspectRatio: `${WIDTH + 2 * MARGIN} / ${height + 20}` }}>
    <svg class="topology" viewBox={`${-MARGIN} -10 ${WIDTH + 2 * MARGIN} ${height + 20}`} role="group" aria-label="Topology map: sites and their paths, coloured by status">
      {edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2 + e.bend * 28;
        const d = `M ${a.x} ${a.y} Q ${mx} ${my + e.bend * 28} ${b.x} ${b.y}`;
        if (e.tunnel) {
          const over = e.tunnel.pathId ? `over ${names.get(e.tunnel.pathId) ?? e.tunnel.pathId}` : 'over no path';
          return <Edge key={`tunnel:${e.tunnel.id}`} pathId={e.pathId} name={`${e.tunnel.label}, ${over}`} status={health.get(e.pathId)?.status} d={d} tunnel={e.tunnel.id} />;
        }
        if (e.pathIds) {
          const b = bundleOf(e.pathIds, health);
          return <Edge key={e.pathId} pathId={b.worst} name={b.label} status={b.status} d={d} bundle={e.pathIds.length} />;
        }
        return <Edge key={e.pathId} pathId={e.pathId} name={names.get(e.pathId) ?? e.pathId} status={health.get(e.pathId)?.status} d={d} />;
      })}
      {nodes.map((n) => (
        <g key={n.id} class={`node node-${n.kind}`} aria-hidden="true">
          <circle cx={n.x} cy={n.y} r="9" />
          <text x={n.x + (n.x === 0 ? -14 : 14)} y={n.y + 4} text-anchor={n.x === 0 ? 'end' : 'start'}>{n.label}</text>
        </g>
      ))}
    </svg>
    </div>
  );
}

interface EdgeProps { pathId: string; name: string; status: Status | undefined; d: string; bundle?: number; tunnel?: string }

/** One path's edge (a bundle's, a tunnel's): renders again only when its status or label changes. */
class Edge extends Pure<EdgeProps> {
  render({ pathId, name, status, d, bundle, tunnel }: EdgeProps) {
    const label = `${name}: ${statusLabel(status)}`;
    const edge = bundle ? `bundle:${pathId}` : tunnel ? `tunnel:${tunnel}` : pathId;
    const body = (
      <>
        <title>{label}</title>
        {tunnel && <path class="tunnel-casing" d={d} />}
        <path class={`edge edge-${status ?? 'UNKNOWN'}`} d={d} />
      </>
    );
    // A tunnel over no known path has no page to lead to.
    if (!pathId) return <g role="img" aria-label={label} data-edge={edge} data-status="UNKNOWN" class="tunnel">{body}</g>;
    return <a href={pathUrl(pathId)} aria-label={label} data-edge={edge} data-status={status ?? 'UNKNOWN'} class={bundle ? 'bundle' : tunnel ? 'tunnel' : undefined}>{body}</a>;
  }
}
