import { statusLabel, type PathHealth } from '../lib/health';
import { layoutTopology } from '../lib/topology';
import { pathUrl } from '../lib/router';

interface Props {
  sites: Array<{ id: string; name: string }>;
  paths: Array<{ id: string; name: string; siteId: string | null; remoteSiteId: string | null; targets: string[] }>;
  health: ReadonlyMap<string, PathHealth>;
}

const WIDTH = 640;
const ROW = 70;
/** Room for the node labels beside the two columns. */
const MARGIN = 230;

/** Sites as nodes, paths as edges coloured by their live status; each edge links to its path page. */
export function TopologyMap({ sites, paths, health }: Props) {
  const { nodes, edges, height } = layoutTopology(sites, paths, WIDTH, ROW);
  const at = new Map(nodes.map((n) => [n.id, n]));
  const names = new Map(paths.map((p) => [p.id, p.name]));
  return (
    <svg class="topology" viewBox={`${-MARGIN} -10 ${WIDTH + 2 * MARGIN} ${height + 20}`} role="group" aria-label="Topology map: sites and their paths, coloured by status">
      {edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2 + e.bend * 28;
        const status = health.get(e.pathId)?.status ?? 'UNKNOWN';
        const label = `${names.get(e.pathId) ?? e.pathId}: ${statusLabel(health.get(e.pathId)?.status)}`;
        return (
          <a key={e.pathId} href={pathUrl(e.pathId)} aria-label={label} data-edge={e.pathId} data-status={status}>
            <title>{label}</title>
            <path class={`edge edge-${status}`} d={`M ${a.x} ${a.y} Q ${mx} ${my + e.bend * 28} ${b.x} ${b.y}`} />
          </a>
        );
      })}
      {nodes.map((n) => (
        <g key={n.id} class={`node node-${n.kind}`} aria-hidden="true">
          <circle cx={n.x} cy={n.y} r="9" />
          <text x={n.x + (n.x === 0 ? -14 : 14)} y={n.y + 4} text-anchor={n.x === 0 ? 'end' : 'start'}>{n.label}</text>
        </g>
      ))}
    </svg>
  );
}
