import type { FrameTimers } from './batch';

export interface SliceTimers extends Pick<FrameTimers, 'now' | 'requestFrame' | 'cancelFrame'> {
  /** Runs fn once the renders that a slice asked for have run (Preact renders in a microtask). */
  afterRender(fn: () => void): void;
}

const browserSliceTimers: SliceTimers = {
  now: () => performance.now(),
  requestFrame: (fn) => requestAnimationFrame(fn),
  cancelFrame: (h) => cancelAnimationFrame(h as number),
  afterRender: (fn) => queueMicrotask(fn),
};

/** Bounds of the off-screen rows per slice: at least a few (progress on a slow or busy machine), at most all of them. */
export const MIN_SLICE = 4;
export const MAX_SLICE = 2000;

/** Off-screen rows wait at most about this many frames: the slice grows with the backlog. */
export const DRAIN_FRAMES = 30;

/** Slices whose cost per row the estimate remembers. */
const RECENT = 8;

/**
 * The off-screen rows the next slice takes: as many as budgetMs holds at perRowMs each, and at
 * least enough to clear the backlog within DRAIN_FRAMES frames (so a busy machine, where few
 * frames come, still shows every row's update within a second or two).
 */
export function sliceSize(perRowMs: number, budgetMs: number, backlog: number): number {
  const byBudget = Math.floor(budgetMs / Math.max(perRowMs, 0.001));
  const byBacklog = Math.ceil(backlog / DRAIN_FRAMES);
  return Math.max(MIN_SLICE, Math.min(MAX_SLICE, Math.max(byBudget, byBacklog)));
}

/**
 * The cost of a row: the least per-row time of the recent slices. A slice's wall time includes
 * the time the renderer was descheduled (another process ran), which only ever adds: the
 * minimum is the closest to the work itself, and one slow slice does not shrink the next ones.
 */
export function rowCost(recent: readonly number[]): number | null {
  return recent.length === 0 ? null : Math.min(...recent);
}

/**
 * Renders the rows marked dirty a slice per animation frame: every dirty row on screen in the
 * next frame, then the off-screen ones as many per frame as fit budgetMs (see sliceSize). With a
 * thousand live paths a batch of updates touches hundreds of rows; rendered at once that is one task of tens of
 * milliseconds (a long task as soon as the machine is busy), sliced it is a few short ones, and
 * what the user sees is updated first. A row marked again before its turn renders once.
 */
export function createRowSlicer(render: (key: string) => void, budgetMs: number, timers: SliceTimers = browserSliceTimers) {
  const visible = new Set<string>();
  const onScreen = new Set<string>();
  const offScreen = new Set<string>();
  const recent: number[] = [];
  let frame: unknown = null;
  let running = false;
  let disposed = false;

  const schedule = () => {
    if (frame === null && !running && !disposed && (onScreen.size > 0 || offScreen.size > 0)) frame = timers.requestFrame(run);
  };
  const run = () => {
    frame = null;
    running = true;
    const start = timers.now();
    const keys = [...onScreen];
    onScreen.clear();
    const cost = rowCost(recent);
    const perSlice = cost === null ? MIN_SLICE : sliceSize(cost, budgetMs, offScreen.size);
    let taken = 0;
    for (const key of offScreen) {
      if (taken === perSlice) break;
      keys.push(key);
      taken++;
    }
    for (let i = keys.length - taken; i < keys.length; i++) offScreen.delete(keys[i]);
    try {
      for (const key of keys) render(key);
    } finally {
      // Even if a render threw: the slicer carries on with the next frame.
      timers.afterRender(() => {
        running = false;
        if (keys.length >= MIN_SLICE) {
          recent.push((timers.now() - start) / keys.length);
          if (recent.length > RECENT) recent.shift();
        }
        schedule();
      });
    }
  };

  return {
    /** The row's data changed: render it (soon if on screen, else when its turn comes). */
    mark(key: string): void {
      if (visible.has(key)) onScreen.add(key);
      else offScreen.add(key);
      schedule();
    },
    /** Rows came on screen (or left it): their pending renders move to the front (or back). */
    show(keys: readonly string[], onScreenNow: boolean): void {
      for (const key of keys) {
        if (onScreenNow) {
          visible.add(key);
          if (offScreen.delete(key)) onScreen.add(key);
        } else {
          visible.delete(key);
          if (onScreen.delete(key)) offScreen.add(key);
        }
      }
      schedule();
    },
    /** Rows waiting for their render (for tests and the benchmark). */
    get pending(): number {
      return onScreen.size + offScreen.size;
    },
    dispose(): void {
      disposed = true;
      if (frame !== null) timers.cancelFrame(frame);
      frame = null;
      onScreen.clear();
      offScreen.clear();
    },
  };
}
