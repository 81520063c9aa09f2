import { describe, expect, it } from 'vitest';
import { appendLive, columns, fromHealth, pointsFromStats, slices, statsQuery, statsVariables, type Point } from '../src/lib/history';

const p = (t: number, latency = 1): Point => ({ t, latency, loss: 0, jitter: 0, score: 100 });

describe('slices', () => {
  it('cuts 24 h into 144 contiguous 10-minute slices ending now', () => {
    const now = new Date('2026-12-05T03:00:00Z');
    const parts = slices('24h', now);
    expect(parts).toHaveLength(144);
    expect(parts[0][0]).toBe('2026-12-04T03:00:00.000Z');
    expect(parts[0][1]).toBe('2026-12-04T03:10:00.000Z');
    expect(parts[143][1]).toBe(now.toISOString());
    for (let i = 1; i < parts.length; i++) expect(parts[i][0]).toBe(parts[i - 1][1]);
  });

  it('cuts 7 d into hours and 30 d into 4 hours', () => {
    expect(slices('7d', new Date('2026-12-05T03:00:00Z'))).toHaveLength(168);
    const month = slices('30d', new Date('2026-12-05T03:00:00Z'));
    expect(month).toHaveLength(180);
    expect(Date.parse(month[0][1]) - Date.parse(month[0][0])).toBe(4 * 3600 * 1000);
  });
});

describe('statsQuery', () => {
  it('aliases one pathStats per slice with its own variables', () => {
    const q = statsQuery(2);
    expect(q).toContain('s0: pathStats(pathId: $id, period: CUSTOM, since: $s0, until: $u0)');
    expect(q).toContain('s1: pathStats(pathId: $id, period: CUSTOM, since: $s1, until: $u1)');
    expect(q).toContain('{ latencyAvgMs latencyMinMs latencyP95Ms latencyMaxMs');
    expect(q).toMatch(/^query Stats\(\$id: ID!, \$s0: DateTime!, \$u0: DateTime!, \$s1: DateTime!, \$u1: DateTime!\)/);
    expect(statsVariables('p', [['a', 'b'], ['c', 'd']])).toEqual({ id: 'p', s0: 'a', u0: 'b', s1: 'c', u1: 'd' });
  });

  it('stays under the server complexity (20,000) and token (10,000) limits for the longest range', () => {
    const q = statsQuery(180);
    const tokens = q.match(/[A-Za-z_$][A-Za-z0-9_]*|[!():{},]/g)!.length;
    expect(tokens).toBeLessThan(10_000);
    expect(180 * 9).toBeLessThan(20_000); // one object and eight fields per slice
  });
});

describe('pointsFromStats', () => {
  it('places each slice at its end and turns empty slices into gaps', () => {
    const parts: Array<[string, string]> = [['2026-12-05T00:00:00Z', '2026-12-05T01:00:00Z'], ['2026-12-05T01:00:00Z', '2026-12-05T02:00:00Z']];
    const points = pointsFromStats({
      s0: { latencyAvgMs: 2, latencyMinMs: 1.5, latencyP95Ms: 3, latencyMaxMs: 4, packetLossAvgPct: 1, jitterAvgMs: 0.5, healthScoreAvg: 90, sampleCount: 360 },
      s1: { latencyAvgMs: null, packetLossAvgPct: null, jitterAvgMs: null, healthScoreAvg: null, sampleCount: 0 },
    }, parts);
    expect(points).toEqual([
      { t: Date.parse('2026-12-05T01:00:00Z') / 1000, latency: 2, loss: 1, jitter: 0.5, score: 90, latencyMin: 1.5, latencyP95: 3, latencyMax: 4 },
      { t: Date.parse('2026-12-05T02:00:00Z') / 1000, latency: null, loss: null, jitter: null, score: null, latencyMin: null, latencyP95: null, latencyMax: null },
    ]);
  });
});

describe('appendLive', () => {
  it('appends newer points and drops those older than the range', () => {
    expect(appendLive([p(100), p(200)], p(3700), 3600).map((x) => x.t)).toEqual([200, 3700]);
  });

  it('ignores a duplicate or late point', () => {
    const points = [p(100), p(200)];
    expect(appendLive(points, p(200, 9), 3600)).toBe(points);
    expect(appendLive(points, p(150), 3600)).toBe(points);
  });
});

describe('fromHealth and columns', () => {
  it('uses lastChecked as the time, or the fallback before the first probe', () => {
    const h = { pathId: 'x', status: 'UP' as const, healthScore: 99, latencyMs: 3, packetLossPct: 1, jitterMs: 2, lastChecked: '2026-12-05T03:00:00.500Z' };
    expect(fromHealth(h, 7).t).toBe(Date.parse('2026-12-05T03:00:00.500Z') / 1000);
    expect(fromHealth({ ...h, lastChecked: null }, 7).t).toBe(7);
    expect(columns([fromHealth(h, 0)], 'jitter')).toEqual([[Date.parse('2026-12-05T03:00:00.500Z') / 1000], [2]]);
  });
});
