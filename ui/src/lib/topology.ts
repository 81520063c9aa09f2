/** A node of the topology map: a site, or the far end of paths without a remote site (their first target). */
export interface MapNode { id: string; label: string; x: number; y: number; kind: 'site' | 'remote' }
/** A path as an edge; bend spreads the paths between one pair of nodes apart (0 for the middle one). */
export interface MapEdge { pathId: string; from: string; to: string; bend: number }

interface MapPath { id: string; siteId: string | null; remoteSiteId: string | null; targets: string[] }

/**
 * Lays out the map: local sites in the left column, far ends (remote sites, or a path's first
 * target when it has none) in the right one, evenly spaced; a remote site that also has paths of
 * its own stays in the left column, and its edges then run inside the column (still drawn).
 */
export function layoutTopology(sites: ReadonlyArray<{ id: string; name: string }>, paths: readonly MapPath[], width: number, rowHeight: number):
  { nodes: MapNode[]; edges: MapEdge[]; height: number } {
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
  const rows = Math.max(left.length, right.length, 1);
  const height = rows * rowHeight;
  const place = (ids: string[], x: number): MapNode[] =>
    ids.map((id, i) => {
      const [kind, key] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
      const label = kind === 'site' ? names.get(key) ?? key : key;
      return { id, label, x, y: ((i + 0.5) * height) / ids.length, kind: kind === 'site' ? 'site' : 'remote' };
    });
  const nodes = [...place(left, 0), ...place(right, width)];
  const groups = new Map<string, MapPath[]>();
  for (const p of paths) {
    const key = `site:${p.siteId ?? '?'}→${remoteOf(p)}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const edges: MapEdge[] = [];
  for (const group of groups.values()) {
    group.forEach((p, i) => edges.push({ pathId: p.id, from: `site:${p.siteId ?? '?'}`, to: remoteOf(p), bend: i - (group.length - 1) / 2 }));
  }
  return { nodes, edges, height };
}
