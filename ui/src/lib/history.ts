import type { PathHealth } from './health';

/** The chart ranges of the path page. 1 h reads the history (10 s buckets); the longer ones read the rollups' aggregates per slice. */
export type Range = '1h' | '24h' | '7d' | '30d';

export const RANGES: Record<Range, { label: string; seconds: number; slices: number }> = {
  '1h': { label: '1 h', seconds: 3600, slices: 0 },
  '24h': { label: '24 h', seconds: 86_400, slices: 144 }, // 10-minute points
  '7d': { label: '7 d', seconds: 604_800, slices: 168 }, // hourly points
  '30d': { label: '30 d', seconds: 2_592_000, slices: 180 }, // 4-hour points
};

/** One point of a chart: unix seconds and the four measures (null: no data in that slice). */
export interface Point {
  t: number;
  latency: number | null;
  loss: number | null;
  jitter: number | null;
  score: number | null;
  /** Rollup slices only: the latency's minimum, p95 and maximum in the slice. */
  latencyMin?: number | null;
  latencyP95?: number | null;
  latencyMax?: number | null;
}

export function fromHealth(h: PathHealth, fallbackTime: number): Point {
  const t = h.lastChecked ? Date.parse(h.lastChecked) / 1000 : fallbackTime;
  return { t, latency: h.latencyMs, loss: h.packetLossPct, jitter: h.jitterMs, score: h.healthScore };
}

/** The [since, until] slices (ISO strings) of a range ending at now, oldest first. */
export function slices(range: Range, now: Date): Array<[string, string]> {
  const { seconds, slices: n } = RANGES[range];
  const end = now.getTime();
  const width = (seconds * 1000) / n;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const since = end - seconds * 1000 + i * width;
    out.push([new Date(since).toISOString(), new Date(since + width).toISOString()]);
  }
  return out;
}

/**
 * One GraphQL document with one aliased pathStats per slice (s0 … sN): a whole week's hourly
 * aggregates in one round trip, computed by the server from its rollups.
 */
export function statsQuery(count: number): string {
  const fields = Array.from({ length: count }, (_, i) =>
    `s${i}: pathStats(pathId: $id, period: CUSTOM, since: $s${i}, until: $u${i}) { latencyAvgMs latencyMinMs latencyP95Ms latencyMaxMs packetLossAvgPct jitterAvgMs healthScoreAvg sampleCount }`,
  );
  const vars = Array.from({ length: count }, (_, i) => `$s${i}: DateTime!, $u${i}: DateTime!`);
  return `query Stats($id: ID!, ${vars.join(', ')}) { ${fields.join(' ')} }`;
}

export function statsVariables(pathId: string, parts: Array<[string, string]>): Record<string, string> {
  const vars: Record<string, string> = { id: pathId };
  parts.forEach(([s, u], i) => {
    vars[`s${i}`] = s;
    vars[`u${i}`] = u;
  });
  return vars;
}

interface StatsRow { latencyAvgMs: number | null; latencyMinMs?: number | null; latencyP95Ms?: number | null; latencyMaxMs?: number | null; packetLossAvgPct: number | null; jitterAvgMs: number | null; healthScoreAvg: number | null; sampleCount: number }

/** The aliased answers back into points, in slice order; a slice without samples is a gap. */
export function pointsFromStats(data: Record<string, StatsRow | null>, parts: Array<[string, string]>): Point[] {
  return parts.map(([, until], i) => {
    const row = data[`s${i}`];
    const t = Date.parse(until) / 1000;
    if (!row || row.sampleCount === 0) return { t, latency: null, loss: null, jitter: null, score: null, latencyMin: null, latencyP95: null, latencyMax: null };
    return {
      t, latency: row.latencyAvgMs, loss: row.packetLossAvgPct, jitter: row.jitterAvgMs, score: row.healthScoreAvg,
      latencyMin: row.latencyMinMs ?? null, latencyP95: row.latencyP95Ms ?? null, latencyMax: row.latencyMaxMs ?? null,
    };
  });
}

/**
 * Adds a live point: appended when newer than the last, ignored when not (a duplicate or a late
 * event), and points older than the range's start dropped, so the chart keeps its width.
 */
export function appendLive(points: readonly Point[], point: Point, rangeSeconds: number): Point[] {
  const last = points[points.length - 1];
  if (last && point.t <= last.t) return points as Point[];
  const start = point.t - rangeSeconds;
  const kept = points.filter((p) => p.t > start);
  kept.push(point);
  return kept;
}

/** uPlot's column layout: [times, values…] for one measure. */
export function columns(points: readonly Point[], key: keyof Omit<Point, 't'>): [number[], (number | null)[]] {
  return [points.map((p) => p.t), points.map((p) => p[key] ?? null)];
}
