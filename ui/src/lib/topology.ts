import type { PathHealth, Status } from './health';

/** A node of the topology map: a site, the far end of paths without a remote site (their first target), or a tunnel peer. */
export interface MapNode { id: string; label: string; x: number; y: number; kind: 'site' | 'remote' | 'peer' }
/**
 * A path as an edge; bend spreads the paths between one pair of nodes apart (0 for the middle one).
 * More than maxParallel paths between one pair are one bundled edge: pathIds lists them all.
 */
export interface MapEdge { pathId: string; from: string; to: string; bend: number; pathIds?: string[]; tunnel?: MapTunnel }

interface MapPath { id: string; siteId: string | null; remoteSiteId: string | null; targets: string[] }

/**
 * A tunnel peer as an edge: from the site of the path it runs over to the peer. pathId (of the
 * edge) is that path — the active one, else the first configured: its status colours the edge.
 */
export interface MapTunnel { id: string; label: string; pathId: string | null }

/** The API's tunnels (GraphQL `tunnels`), reduced to what the map draws. */
export interface TunnelInfo { interface: string; peers: Array<{ name: string; activePathId: string | null; paths: Array<{ pathId: string }> }> }

/** One map tunnel per peer of every tunnel interface. */
export function mapTunnels(tunnels: readonly TunnelInfo[]): MapTunnel[] {
  return tunnels.flatMap((t) => t.peers.map((p) => ({
    id: `${t.interface}/${p.name}`, label: `tunnel ${t.interface} to ${p.name}`, pathId: p.activePathId ?? p.paths[0]?.pathId ?? null,
  })));
}

/**
 * Lays out the map: local sites in the left column, far ends (remote sites, or a path's first
 * target when it has none) in the right one, evenly spaced; a remote site that also has paths of
 * its own stays in the left column, and its edges then run inside the column (still drawn).
 */
export function layoutTopology(sites: ReadonlyArray<{ id: string; name: string }>, paths: readonly MapPath[], width: number, rowHeight: number, maxParallel = 8,
  tunnels: readonly MapTunnel[] = []): { nodes: MapNode[]; edges: MapEdge[]; height: number } {
  const names = new Map(sites.map((s) => [s.id, s.name]));
  const left: string[] = [];
  const right: string[] = [];
  const remoteOf = (p: MapPath) => (p.remoteSiteId ? `site:${p.remoteSiteId}` : `target:${p.targets[0] ?? '?'}`);
  for (const p of paths) {
    const from = `site:${p.siteId ?? '?'}`;
    if (!left.includes(from)) left.push(from);
  }
  for (const s of sites) if (!left.includes(`site:${s.id}`) && !paths.some((p) => p.remoteSiteId === s.id)) left.push(`site:${s.id}`);
  for (const p of paths) {
    const to = remoteOf(p);
    if (!left.includes(to) && !right.includes(to)) right.push(to);
  }
  // A tunnel starts at the site of its path (a peer whose path is not in the topology: at no site).
  const siteOfPath = new Map(paths.map((p) => [p.id, `site:${p.siteId ?? '?'}`]));
  const tunnelFrom = (t: MapTunnel) => (t.pathId && siteOfPath.get(t.pathId)) || 'site:?';
  for (const t of tunnels) {
    if (!left.includes(tunnelFrom(t))) left.push(tunnelFrom(t));
    right.push(`peer:${t.id}`);
  }
  const rows = Math.max(left.length, right.length, 1);
  const height = rows * rowHeight;
  const place = (ids: string[], x: number): MapNode[] =>
    ids.map((id, i) => {
      const [kind, key] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
      const label = kind === 'site' ? names.get(key) ?? (key === '?' ? 'no site' : key) : kind === 'peer' ? key.slice(key.indexOf('/') + 1) : key;
      return { id, label, x, y: ((i + 0.5) * height) / ids.length, kind: kind === 'site' ? 'site' : kind === 'peer' ? 'peer' : 'remote' };
    });
  const nodes = [...place(left, 0), ...place(right, width)];
  const groups = new Map<string, MapPath[]>();
  for (const p of paths) {
    const key = `site:${p.siteId ?? '?'}→${remoteOf(p)}`;
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  const edges: MapEdge[] = [];
  for (const group of groups.values()) {
    // Dozens of curves between two nodes read as a smear (and cost the browser a thousand SVG
    // elements at scale): past maxParallel they are one edge, coloured by the worst of them.
    if (group.length > maxParallel) {
      edges.push({ pathId: group[0].id, from: `site:${group[0].siteId ?? '?'}`, to: remoteOf(group[0]), bend: 0, pathIds: group.map((p) => p.id) });
      continue;
    }
    group.forEach((p, i) => edges.push({ pathId: p.id, from: `site:${p.siteId ?? '?'}`, to: remoteOf(p), bend: i - (group.length - 1) / 2 }));
  }
  for (const t of tunnels) edges.push({ pathId: t.pathId ?? '', from: tunnelFrom(t), to: `peer:${t.id}`, bend: 0, tunnel: t });
  return { nodes, edges, height };
}

const RANK: Record<string, number> = { DOWN: 0, DEGRADED: 1, UNKNOWN: 2, UP: 3 };

/** A bundled edge: its worst status, the path that has it (the link leads there), and the counts in words. */
export function bundleOf(pathIds: readonly string[], health: ReadonlyMap<string, PathHealth>): { status: Status | undefined; worst: string; label: string } {
  const counts: Record<string, number> = { UP: 0, DEGRADED: 0, DOWN: 0, UNKNOWN: 0 };
  let worst = pathIds[0];
  let worstRank = 4;
  for (const id of pathIds) {
    const s = health.get(id)?.status ?? 'UNKNOWN';
    counts[s]++;
    if (RANK[s] < worstRank) {
      worstRank = RANK[s];
      worst = id;
    }
  }
  const parts = [['UP', 'Up'], ['DEGRADED', 'Degraded'], ['DOWN', 'Down'], ['UNKNOWN', 'not probed yet']].filter(([k]) => counts[k] > 0).map(([k, w]) => `${counts[k]} ${w}`);
  return { status: health.get(worst)?.status, worst, label: `${pathIds.length} paths (${parts.join(', ')}); worst` };
}
