import { describe, expect, it } from 'vitest';
import { countByStatus, formatMs, formatPct, rowBlocks, staleText, topologyTree, sparklinePath, type PathHealth, type PathInfo } from '../src/lib/health';
import { Ring } from '../src/lib/ring';

const path = (id: string, linkId: string, name = id): PathInfo => ({ id, name, linkId, siteId: null, remoteSiteId: null });
const health = (pathId: string, status: PathHealth['status']): PathHealth =>
  ({ pathId, status, healthScore: 100, latencyMs: 1, packetLossPct: 0, jitterMs: 0, lastChecked: null });

describe('countByStatus', () => {
  it('counts each status and paths without health as unknown', () => {
    const paths = [path('a', 'l'), path('b', 'l'), path('c', 'l'), path('d', 'l')];
    const map = new Map([['a', health('a', 'UP')], ['b', health('b', 'DOWN')], ['c', health('c', 'UP')]]);
    expect(countByStatus(paths, map)).toEqual({ UP: 2, DEGRADED: 0, DOWN: 1, UNKNOWN: 1 });
  });

  it('ignores health of paths no longer in the topology', () => {
    expect(countByStatus([], new Map([['gone', health('gone', 'DOWN')]]))).toEqual({ UP: 0, DEGRADED: 0, DOWN: 0, UNKNOWN: 0 });
  });
});

describe('topologyTree', () => {
  it('nests sites, links and paths sorted by name', () => {
    const tree = topologyTree(
      [{ id: 's2', name: 'Zurich' }, { id: 's1', name: 'Amsterdam' }],
      [{ id: 'l2', siteId: 's1', name: 'lte' }, { id: 'l1', siteId: 's1', name: 'fibre' }, { id: 'l3', siteId: 's2', name: 'dsl' }],
      [path('p2', 'l1', 'b'), path('p1', 'l1', 'a'), path('p3', 'l3')],
    );
    expect(tree.map((s) => s.site.name)).toEqual(['Amsterdam', 'Zurich']);
    expect(tree[0].links.map((l) => l.link.name)).toEqual(['fibre', 'lte']);
    expect(tree[0].links[0].paths.map((p) => p.name)).toEqual(['a', 'b']);
    expect(tree[0].links[1].paths).toEqual([]);
  });

  it('keeps a path whose link is unknown and a link whose site is unknown', () => {
    const tree = topologyTree([], [{ id: 'l1', siteId: 'ghost', name: 'l1' }], [{ ...path('p', 'nolink'), siteId: 'ghost' }]);
    expect(tree).toHaveLength(1);
    expect(tree[0].site.id).toBe('ghost');
    expect(tree[0].links.flatMap((l) => l.paths.map((p) => p.id))).toEqual(['p']);
  });
});

/** The sparkline's path for these values (through a ring of capacity). */
function sparkPath(values: number[], width: number, height: number, capacity = values.length || 1, scratch: string[] = []): string {
  const ring = new Ring(capacity);
  values.forEach((v) => ring.push(v));
  return sparklinePath(ring, width, height, scratch);
}

describe('sparklinePath', () => {
  it('maps the smallest value to the bottom and the largest to the top', () => {
    expect(sparkPath([0, 10], 100, 20)).toBe('M0.0 20.0 100.0 0.0');
  });

  it('draws equal values flat in the middle', () => {
    expect(sparkPath([5, 5, 5], 10, 20)).toBe('M0.0 10.0 5.0 10.0 10.0 10.0');
  });

  it('is empty without values', () => {
    expect(sparkPath([], 10, 10)).toBe('');
  });

  it('draws the last values oldest first once the ring has wrapped', () => {
    // Capacity 3: 1 and 2 dropped, 30 (the largest) at the top right, 3 at the bottom left.
    expect(sparkPath([1, 2, 3, 20, 30], 10, 10, 3)).toBe('M0.0 10.0 5.0 3.7 10.0 0.0');
  });

  it('gives the points the SVG polyline had (to a tenth), for every count of points, through one scratch array', () => {
    const scratch: string[] = [];
    const values: number[] = [];
    for (let n = 1; n <= 120; n++) {
      values.push(Math.abs(Math.sin(n * 0.7)) * 40 + (n % 7));
      const numbers = sparkPath(values, 120, 24, 120, scratch).slice(1).split(' ').map(Number);
      const min = Math.min(...values);
      const span = Math.max(...values) - min;
      const step = n > 1 ? 120 / (n - 1) : 0;
      expect(numbers.length).toBe(2 * n);
      values.forEach((v, i) => {
        expect(Math.abs(numbers[2 * i] - i * step)).toBeLessThanOrEqual(0.05 + 1e-9);
        expect(Math.abs(numbers[2 * i + 1] - (span === 0 ? 12 : 24 - ((v - min) / span) * 24))).toBeLessThanOrEqual(0.05 + 1e-9);
      });
    }
    expect(scratch.length).toBe(240); // reused, not replaced
  });
});

describe('formatting', () => {
  it.each([[0.0623, '0.06 ms'], [12.34, '12.3 ms'], [150.6, '151 ms'], [null, '–'], [Number.NaN, '–']])('formatMs(%s) = %s', (v, text) => {
    expect(formatMs(v)).toBe(text);
  });

  it.each([[0, '0 %'], [0.5, '0.50 %'], [7.25, '7.3 %'], [undefined, '–']])('formatPct(%s) = %s', (v, text) => {
    expect(formatPct(v)).toBe(text);
  });

  it('says since when and how long the data is stale', () => {
    const since = new Date('2026-12-05T03:00:00Z');
    expect(staleText(since, new Date('2026-12-05T03:00:35Z'))).toMatch(/stale since .*\(35 s ago\)/);
    expect(staleText(since, new Date('2026-12-05T03:10:00Z'))).toMatch(/\(10 min ago\)/);
    expect(staleText(since, new Date('2026-12-05T02:59:00Z'))).toMatch(/\(0 s ago\)/); // a clock step back never shows a negative age
  });
});

describe('rowBlocks', () => {
  const link = (id: string) => ({ id, siteId: 's', name: id.toUpperCase() });
  const path = (id: string, linkId: string) => ({ id, name: id, linkId, siteId: 's', remoteSiteId: null });
  it('splits into blocks of size; a link spans its rows within a block and starts again in the next', () => {
    const blocks = rowBlocks([
      { link: link('a'), paths: [path('a1', 'a'), path('a2', 'a'), path('a3', 'a')] },
      { link: link('b'), paths: [path('b1', 'b')] },
    ], 2);
    expect(blocks.map((b) => b.map((r) => [r.path.id, r.link.id, r.span]))).toEqual([
      [['a1', 'a', 2], ['a2', 'a', null]],
      [['a3', 'a', 1], ['b1', 'b', 1]],
    ]);
  });
  it('no paths, no blocks', () => {
    expect(rowBlocks([{ link: link('a'), paths: [] }], 50)).toEqual([]);
  });
});
