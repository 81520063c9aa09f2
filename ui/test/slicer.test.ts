import { describe, expect, it } from 'vitest';
import { createRowSlicer, MAX_SLICE, MIN_SLICE, rowCost, sliceSize, type SliceTimers } from '../src/lib/slicer';
import { OverviewData } from '../src/lib/overviewData';
import type { PathHealth } from '../src/lib/health';

/**
 * Manual frames: frame() runs the requested animation frame, then what was to run after its
 * renders; each render costs costPerRender ms of the fake clock.
 */
function fakeFrames(costPerRender = 0.1) {
  let now = 0;
  let frameFn: (() => void) | null = null;
  let after: Array<() => void> = [];
  const timers: SliceTimers = {
    now: () => now,
    requestFrame: (fn) => {
      if (frameFn) throw new Error('two frames requested at once');
      frameFn = fn;
      return 1;
    },
    cancelFrame: () => { frameFn = null; },
    afterRender: (fn) => { after.push(fn); },
  };
  const frame = (): boolean => {
    now += 16;
    const fn = frameFn;
    frameFn = null;
    if (!fn) return false;
    try {
      fn();
    } finally {
      // Microtasks run after the frame's callback, even one that threw.
      const queued = after;
      after = [];
      queued.forEach((f) => f());
    }
    return true;
  };
  const cost = () => { now += costPerRender; };
  return { timers, frame, cost, get requested() { return frameFn !== null; } };
}

const keys = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('sliceSize', () => {
  it.each([
    // cost per row, budget, backlog → rows
    [0.1, 6, 100, 60], // as many as the budget holds
    [0.1, 6, 3000, 100], // a backlog of 3,000 drains within 30 frames: more than the budget holds
    [5, 6, 10, MIN_SLICE], // a slow machine: never below the minimum
    [0.0001, 6, 10, MAX_SLICE], // never above the maximum
  ])('%f ms a row, budget %f ms, backlog %i → %i', (cost, budget, backlog, expected) => {
    expect(sliceSize(cost, budget, backlog)).toBe(expected);
  });
});

describe('rowCost', () => {
  it('takes the least recent cost (descheduled slices only ever look slower)', () => {
    expect(rowCost([])).toBeNull();
    expect(rowCost([0.5, 0.1, 3])).toBe(0.1);
  });
});

describe('createRowSlicer', () => {
  it('renders rows on screen in the next frame and the off-screen ones a slice per frame', () => {
    const f = fakeFrames(0.1);
    const rendered: string[][] = [];
    let current: string[] = [];
    const slicer = createRowSlicer((k) => { current.push(k); f.cost(); }, 6, f.timers);
    slicer.show(['v0', 'v1'], true);
    for (const k of [...keys(200), 'v0', 'v1']) slicer.mark(k);
    const frames = () => {
      while (f.frame()) {
        rendered.push(current);
        current = [];
      }
    };
    frames();
    expect(rendered[0].slice(0, 2)).toEqual(['v0', 'v1']); // on screen first
    expect(rendered[0]).toHaveLength(2 + MIN_SLICE);
    expect(rendered.flat().sort()).toEqual([...keys(200), 'v0', 'v1'].sort()); // each once
    expect(Math.max(...rendered.map((r) => r.length))).toBeLessThanOrEqual(62); // 6 ms at 0.1 ms a row (+ the two on screen)
    expect(rendered.length).toBeGreaterThan(3); // spread over frames, not one task
    expect(slicer.pending).toBe(0);
    expect(f.requested).toBe(false); // nothing left: no frames requested
  });

  it('renders a row marked again before its turn once, with its latest data', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => rendered.push(k), 6, f.timers);
    slicer.mark('a');
    slicer.mark('a');
    slicer.mark('b');
    while (f.frame());
    expect(rendered).toEqual(['a', 'b']);
  });

  it('moves a pending row to the front when it comes on screen, and back when it leaves', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => rendered.push(k), 6, f.timers);
    for (const k of keys(20)) slicer.mark(k);
    slicer.show(['p19'], true);
    f.frame();
    expect(rendered[0]).toBe('p19');
    expect(rendered).toHaveLength(1 + MIN_SLICE);
    slicer.show(['p19'], false);
    slicer.mark('p19');
    rendered.length = 0;
    f.frame();
    expect(rendered[0]).not.toBe('p19'); // off screen again: waits its turn behind the others
    expect(rendered[rendered.length - 1]).toBe('p19');
  });

  it('renders nothing after dispose', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => rendered.push(k), 6, f.timers);
    slicer.mark('a');
    slicer.dispose();
    slicer.mark('b');
    while (f.frame());
    expect(rendered).toEqual([]);
  });
});

const health = (pathId: string, latencyMs: number, status: PathHealth['status'] = 'UP'): PathHealth =>
  ({ pathId, status, healthScore: 100, latencyMs, packetLossPct: 0, jitterMs: 0, lastChecked: '2026-12-05T10:00:00Z' });

describe('OverviewData', () => {
  it('applies a batch: health and sparklines in place, the changed rows re-rendered, the summaries told once', () => {
    const f = fakeFrames();
    const sparks = new Map<string, number[]>([['a', [1, 2]]]);
    const data = new OverviewData(sparks, 3, 6, f.timers);
    const renders: string[] = [];
    data.watchRow('a', () => renders.push('a'));
    data.watchRow('b', () => renders.push('b'));
    data.watchRow('c', () => renders.push('c'));
    let batches = 0;
    data.onBatch(() => batches++);
    data.apply([health('a', 3), health('b', 9, 'DOWN')]);
    data.apply([health('a', 4)]);
    expect(batches).toBe(2);
    expect(data.health.get('a')?.latencyMs).toBe(4);
    expect(data.health.get('b')?.status).toBe('DOWN');
    expect(sparks.get('a')).toEqual([2, 3, 4]); // bounded at 3 points
    expect(sparks.get('b')).toEqual([9]);
    expect(renders).toEqual([]); // rows render in their frame, not in the batch
    while (f.frame());
    expect(renders.sort()).toEqual(['a', 'b']); // a once, c not at all
  });

  it('keeps a live update over the health that came with a later topology read', () => {
    const data = new OverviewData(new Map(), 3, 6, fakeFrames().timers);
    data.apply([health('a', 5, 'DOWN')]);
    data.seed([{ id: 'a', health: health('a', 1) }, { id: 'b', health: health('b', 2) }, { id: 'c', health: null }]);
    expect(data.health.get('a')?.status).toBe('DOWN');
    expect(data.health.get('b')?.latencyMs).toBe(2);
    expect(data.health.has('c')).toBe(false);
  });

  it('stops telling a row that unmounted, and a replaced watcher keeps its row', () => {
    const f = fakeFrames();
    const data = new OverviewData(new Map(), 3, 6, f.timers);
    const renders: string[] = [];
    const stopOld = data.watchRow('a', () => renders.push('old'));
    data.watchRow('a', () => renders.push('new'));
    stopOld(); // the old row's unmount comes after the new row's mount
    data.apply([health('a', 1)]);
    while (f.frame());
    expect(renders).toEqual(['new']);
  });
});

describe('createRowSlicer after a failing render', () => {
  it('carries on with the next frame', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => {
      if (k === 'bad') throw new Error('render failed');
      rendered.push(k);
    }, 6, f.timers);
    slicer.mark('bad');
    expect(() => f.frame()).toThrow('render failed');
    slicer.mark('good');
    while (f.frame());
    expect(rendered).toEqual(['good']);
  });
});
