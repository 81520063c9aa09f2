import type { Ring } from './ring';

/** Path health as the API returns it (GraphQL names). */
export type Status = 'UP' | 'DEGRADED' | 'DOWN';

export interface PathHealth {
  pathId: string;
  status: Status;
  healthScore: number;
  latencyMs: number;
  packetLossPct: number;
  jitterMs: number;
  lastChecked: string | null;
  /** The monitor's words for the status ("loss 7.0 % > 5 %"); absent in history. */
  reason?: string | null;
}

export interface Site { id: string; name: string }
export interface Link { id: string; siteId: string; name: string }
export interface PathInfo { id: string; name: string; linkId: string; siteId: string | null; remoteSiteId: string | null }

export interface Counts { UP: number; DEGRADED: number; DOWN: number; UNKNOWN: number }

/** How many paths are Up, Degraded, Down, and not probed yet (no health). */
export function countByStatus(paths: readonly PathInfo[], health: ReadonlyMap<string, PathHealth>): Counts {
  const counts: Counts = { UP: 0, DEGRADED: 0, DOWN: 0, UNKNOWN: 0 };
  for (const p of paths) counts[health.get(p.id)?.status ?? 'UNKNOWN']++;
  return counts;
}

export interface LinkRow { link: Link; paths: PathInfo[] }
export interface SiteRow { site: Site; links: LinkRow[] }

/**
 * Sites → links → paths, each level sorted by name. A link whose site is unknown, or a path whose
 * link is unknown, still shows up (under a placeholder), so nothing the API returns is hidden.
 */
export function topologyTree(sites: readonly Site[], links: readonly Link[], paths: readonly PathInfo[]): SiteRow[] {
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  const siteRows = new Map<string, SiteRow>(sites.map((s) => [s.id, { site: s, links: [] }]));
  const linkRows = new Map<string, LinkRow>();
  for (const link of links) {
    let site = siteRows.get(link.siteId);
    if (!site) {
      site = { site: { id: link.siteId, name: link.siteId }, links: [] };
      siteRows.set(link.siteId, site);
    }
    const row = { link, paths: [] as PathInfo[] };
    site.links.push(row);
    linkRows.set(link.id, row);
  }
  for (const path of paths) {
    let row = linkRows.get(path.linkId);
    if (!row) {
      const siteId = path.siteId ?? '?';
      let site = siteRows.get(siteId);
      if (!site) {
        site = { site: { id: siteId, name: siteId }, links: [] };
        siteRows.set(siteId, site);
      }
      row = { link: { id: path.linkId, siteId, name: path.linkId }, paths: [] };
      site.links.push(row);
      linkRows.set(path.linkId, row);
    }
    row.paths.push(path);
  }
  const result = [...siteRows.values()].sort((a, b) => byName(a.site, b.site));
  for (const site of result) {
    site.links.sort((a, b) => byName(a.link, b.link));
    for (const link of site.links) link.paths.sort(byName);
  }
  return result;
}

/** Number strings of the sparklines' coordinates, made once: x by point count, y by tenth of a unit. */
const xStrings = new Map<string, string[]>();
const yStrings = new Map<number, string[]>();

/**
 * An SVG path (`d`) of a sparkline of width × height through the values, oldest at the left: the
 * smallest value at the bottom, the largest at the top, flat in the middle when all are equal;
 * coordinates to a tenth of a unit. It runs for every live update of every path, so it reads the
 * ring in place and builds the string from number strings made once (the x of each point count,
 * the y of each tenth): one join into the caller's scratch array, one string — where formatting
 * each point made some 360 strings and an array per update.
 */
export function sparklinePath(values: Ring, width: number, height: number, scratch: string[]): string {
  const n = values.length;
  if (n === 0) return '';
  const key = `${n} ${width}`;
  let xs = xStrings.get(key);
  if (!xs) {
    const step = n > 1 ? width / (n - 1) : 0;
    xs = Array.from({ length: n }, (_, i) => `${i === 0 ? 'M' : ''}${(i * step).toFixed(1)}`);
    xStrings.set(key, xs);
  }
  let ys = yStrings.get(height);
  if (!ys) {
    ys = Array.from({ length: height * 10 + 1 }, (_, q) => (q / 10).toFixed(1));
    yStrings.set(height, ys);
  }
  const min = values.min();
  const span = values.max() - min;
  scratch.length = 2 * n;
  for (let i = 0; i < n; i++) {
    const y = span === 0 ? height / 2 : height - ((values.at(i) - min) / span) * height;
    scratch[2 * i] = xs[i];
    scratch[2 * i + 1] = ys[Math.round(y * 10)];
  }
  return scratch.join(' ');
}

/** A path's health as the overview keeps it: one object per path for the page's life, updated in place by assignHealth. */
export function healthRecord(h: PathHealth): PathHealth {
  return assignHealth({ pathId: h.pathId, status: h.status, healthScore: 0, latencyMs: 0, packetLossPct: 0, jitterMs: 0, lastChecked: null }, h);
}

/**
 * Copies a live update into the path's record: the update (the subscription message's object)
 * is garbage at once instead of living until the path's next update a second later — with a
 * thousand paths, a thousand objects a second that outlived the young-generation GCs.
 */
export function assignHealth(into: PathHealth, from: PathHealth): PathHealth {
  into.status = from.status;
  into.healthScore = from.healthScore;
  into.latencyMs = from.latencyMs;
  into.packetLossPct = from.packetLossPct;
  into.jitterMs = from.jitterMs;
  into.lastChecked = from.lastChecked;
  return into;
}

export function formatMs(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–';
  return value < 10 ? `${value.toFixed(2)} ms` : value < 100 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function formatPct(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–';
  return value === 0 ? '0 %' : value < 1 ? `${value.toFixed(2)} %` : `${value.toFixed(1)} %`;
}

export function formatScore(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? '–' : String(Math.round(value));
}

/** The banner text while the live connection is down: "stale since 12:04:05 (35 s)". */
export function staleText(since: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  const age = seconds < 90 ? `${seconds} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  return `Live updates disconnected — data stale since ${since.toLocaleTimeString()} (${age} ago); reconnecting…`;
}

export function statusLabel(status: Status | undefined): string {
  return status === 'UP' ? 'Up' : status === 'DEGRADED' ? 'Degraded' : status === 'DOWN' ? 'Down' : 'Not probed yet';
}

/** One row of the paths table: the path, and on the first row of its link within a block, the link and how many rows it spans there. */
export interface TableRow { path: PathInfo; link: Link; span: number | null }

/**
 * A site's links → paths as blocks of at most size rows, in order. Each block is a table of its
 * own that the browser can skip laying out and painting while it is off screen
 * (content-visibility), so with a thousand paths an update costs the rows on screen, not all of
 * them. A link's name cell spans its rows within a block and is repeated at the top of the next.
 */
export function rowBlocks(links: readonly LinkRow[], size: number): TableRow[][] {
  const rows = links.flatMap(({ link, paths }) => paths.map((path) => ({ path, link })));
  const blocks: TableRow[][] = [];
  for (let i = 0; i < rows.length; i += size) {
    const slice = rows.slice(i, i + size);
    blocks.push(slice.map((r, j) => {
      if (j > 0 && slice[j - 1].link.id === r.link.id) return { ...r, span: null };
      let span = 1;
      while (j + span < slice.length && slice[j + span].link.id === r.link.id) span++;
      return { ...r, span };
    }));
  }
  return blocks;
}
