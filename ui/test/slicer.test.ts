import { describe, expect, it } from 'vitest';
import { createMountSlicer, createRowSlicer, DRAIN_FRAMES, MAX_SLICE_MS, type SliceTimers, type TaskTimers } from '../src/lib/slicer';
import { OverviewData } from '../src/lib/overviewData';
import { Ring } from '../src/lib/ring';
import type { PathHealth } from '../src/lib/health';

/**
 * Manual frames (or posted tasks, for the mount slicer): frame() runs the requested one; each
 * render costs costPerRender ms of the fake clock.
 */
function fakeFrames(costPerRender = 0.1) {
  let now = 0;
  let frameFn: (() => void) | null = null;
  const request = (fn: () => void) => {
    if (frameFn) throw new Error('two frames requested at once');
    frameFn = fn;
    return 1;
  };
  const cancel = () => { frameFn = null; };
  const timers: SliceTimers & TaskTimers = { now: () => now, requestFrame: request, cancelFrame: cancel, post: request, cancel };
  const frame = (): boolean => {
    now += 16;
    const fn = frameFn;
    frameFn = null;
    if (!fn) return false;
    fn();
    return true;
  };
  const cost = (ms = costPerRender) => { now += ms; };
  return { timers, frame, cost, get requested() { return frameFn !== null; } };
}

const keys = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

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
    expect(rendered[0].length).toBeGreaterThanOrEqual(60); // 6 ms at 0.1 ms a row, the two on screen included
    expect(rendered.flat().sort()).toEqual([...keys(200), 'v0', 'v1'].sort()); // each once
    expect(Math.max(...rendered.map((r) => r.length))).toBeLessThanOrEqual(61); // and the row that crossed it
    expect(rendered.length).toBeGreaterThan(3); // spread over frames, not one task
    expect(slicer.pending).toBe(0);
    expect(f.requested).toBe(false); // nothing left: no frames requested
  });

  it('renders a row marked again before its turn once, with its latest data', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => { rendered.push(k); }, 6, f.timers);
    slicer.mark('a');
    slicer.mark('a');
    slicer.mark('b');
    while (f.frame());
    expect(rendered).toEqual(['a', 'b']);
  });

  it('moves a pending row to the front when it comes on screen, and back when it leaves', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => { rendered.push(k); }, 6, f.timers);
    for (const k of keys(20)) slicer.mark(k);
    slicer.show(['p19'], true);
    f.frame();
    expect(rendered[0]).toBe('p19');
    expect(rendered).toHaveLength(20); // rendering costs nothing here: all in one frame
    for (const k of keys(20)) slicer.mark(k);
    slicer.show(['p19'], false);
    rendered.length = 0;
    f.frame();
    expect(rendered[0]).not.toBe('p19'); // off screen again: waits its turn behind the others
    expect(rendered[rendered.length - 1]).toBe('p19');
  });

  it('renders nothing after dispose', () => {
    const f = fakeFrames();
    const rendered: string[] = [];
    const slicer = createRowSlicer((k) => { rendered.push(k); }, 6, f.timers);
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
    const ring = new Ring(3);
    ring.push(1);
    ring.push(2);
    const sparks = new Map<string, Ring>([['a', ring]]);
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
    expect(sparks.get('a')).toBe(ring); // in place
    expect(ring.toArray()).toEqual([2, 3, 4]); // bounded at 3 points
    expect(sparks.get('b')?.toArray()).toEqual([9]);
    expect(renders).toEqual([]); // rows render in their frame, not in the batch
    while (f.frame());
    expect(renders.sort()).toEqual(['a', 'b']); // a once, c not at all
  });

  it("keeps one health object per path, updated in place, and neither the update's object nor the topology's", () => {
    const data = new OverviewData(new Map(), 3, 6, fakeFrames().timers);
    const seeded = health('a', 1);
    data.seed([{ id: 'a', health: seeded }]);
    const record = data.health.get('a');
    expect(record).not.toBe(seeded); // the topology's object is not changed by live updates
    const update = health('a', 7, 'DEGRADED');
    data.apply([update]);
    expect(data.health.get('a')).toBe(record);
    expect(record).not.toBe(update);
    expect(record).toEqual({ ...update });
    expect(seeded.latencyMs).toBe(1);
    const first = health('b', 2);
    data.apply([first]);
    data.apply([{ ...health('b', 3, 'DOWN'), lastChecked: null }]);
    expect(data.health.get('b')).not.toBe(first);
    expect(data.health.get('b')).toMatchObject({ status: 'DOWN', latencyMs: 3, lastChecked: null });
    expect(first.status).toBe('UP'); // the first update's object was copied, not kept and changed
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

describe('createMountSlicer', () => {
  it('shows the first items at once, then in each task as many as the budget holds by the clock', () => {
    const f = fakeFrames(2); // an item (a block of rows) costs 2 ms to mount
    const perTask: number[][] = [];
    let current: number[] = [];
    let mounted = 2;
    const mount = createMountSlicer((n) => {
      for (; mounted < n; mounted++) f.cost();
      current.push(n);
    }, 12, 2, f.timers);
    mount.setTotal(25);
    expect(mount.shown).toBe(2);
    while (f.frame()) {
      perTask.push(current);
      current = [];
    }
    expect(perTask[0]).toEqual([3, 4, 5, 6, 7, 8]); // 12 ms at 2 ms an item
    expect(Math.max(...perTask.map((t) => t.length))).toBe(6);
    expect(perTask.flat()).toEqual(Array.from({ length: 23 }, (_, i) => i + 3)); // one at a time, each once
    expect(mount.shown).toBe(25);
    expect(f.requested).toBe(false);
  });

  it('one item a task at least, however slow (a slow machine still gets there)', () => {
    const f = fakeFrames(40);
    const counts: number[] = [];
    let mounted = 0;
    const mount = createMountSlicer((n) => {
      for (; mounted < n; mounted++) f.cost();
      counts.push(n);
    }, 12, 0, f.timers);
    mount.setTotal(4);
    while (f.frame());
    expect(counts).toEqual([1, 2, 3, 4]);
  });

  it('mounts what the list gained later; a shorter list shows what it has; nothing after dispose', () => {
    const f = fakeFrames(1);
    const counts: number[] = [];
    const mount = createMountSlicer((n) => counts.push(n), 100, 1, f.timers);
    mount.setTotal(3);
    while (f.frame());
    expect(mount.shown).toBe(3);
    mount.setTotal(2);
    expect(mount.shown).toBe(2);
    expect(f.requested).toBe(false);
    mount.setTotal(6);
    while (f.frame());
    expect(counts[counts.length - 1]).toBe(6);
    mount.dispose();
    mount.setTotal(9);
    expect(f.requested).toBe(false);
  });
});

describe('createRowSlicer: bounded by the clock, not a row count', () => {
  it('a frame stops at the budget whatever the rows cost (rows that cost nothing first, an expensive one among them)', () => {
    const f = fakeFrames();
    const perFrame: number[] = [];
    let spent = 0;
    const cost = (k: string) => (k === 'p7' ? 5 : Number(k.slice(1)) < 100 ? 0 : 0.5); // p0–p99 not mounted: free
    const slicer = createRowSlicer((k) => { f.cost(cost(k)); spent += cost(k); }, 6, f.timers);
    for (const k of keys(400)) slicer.mark(k);
    while (f.frame()) {
      perFrame.push(spent);
      spent = 0;
    }
    // At most the budget, plus the one row that crossed it.
    expect(Math.max(...perFrame)).toBeLessThanOrEqual(6 + 5);
    expect(perFrame.filter((ms) => ms > 0).length).toBeGreaterThan(10);
    expect(slicer.pending).toBe(0);
  });

  it('a backlog on a slow machine drains in frames of at most MAX_SLICE_MS, rows on screen included, and in about DRAIN_FRAMES frames when cheap', () => {
    const f = fakeFrames(2); // 2 ms a row
    const sizes: number[] = [];
    let current = 0;
    const slicer = createRowSlicer(() => { current++; f.cost(); }, 6, f.timers);
    slicer.show(keys(50, 'v'), true);
    for (const k of [...keys(50, 'v'), ...keys(300)]) slicer.mark(k);
    while (f.frame()) {
      sizes.push(current);
      current = 0;
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SLICE_MS / 2);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(350);

    const cheap = fakeFrames(0.01);
    let first = 0;
    const fast = createRowSlicer(() => { first++; cheap.cost(); }, 0, cheap.timers); // no budget: only the backlog's share
    for (const k of keys(3000)) fast.mark(k);
    cheap.frame();
    expect(first).toBe(3000 / DRAIN_FRAMES);
  });
});
