import type { FrameTimers } from './batch';

export type SliceTimers = Pick<FrameTimers, 'now' | 'requestFrame' | 'cancelFrame'>;

const browserSliceTimers: SliceTimers = {
  now: () => performance.now(),
  requestFrame: (fn) => requestAnimationFrame(fn),
  cancelFrame: (h) => cancelAnimationFrame(h as number),
};

/** Off-screen rows per frame at least (progress on a slow or busy machine, whatever the clock says). */
export const MIN_SLICE = 4;

/** Off-screen rows wait at most about this many frames: past the budget, a frame takes its share of the backlog. */
export const DRAIN_FRAMES = 30;

/**
 * The most main-thread time one frame's rows may take, rows on screen included: a backlog (after
 * the tab was hidden, say) drains in more frames rather than in one long task.
 */
export const MAX_SLICE_MS = 16;

/**
 * Renders the rows marked dirty a slice per animation frame, bounded by the clock: the dirty rows
 * on screen first, then the off-screen ones while the frame's rows have taken less than budgetMs
 * (and at least their share of the backlog, so that it clears within about DRAIN_FRAMES frames
 * on a busy machine too), never past MAX_SLICE_MS. With a thousand live paths a batch of updates
 * touches hundreds of rows; rendered at once that is one task of tens of milliseconds (a long
 * task as soon as the machine is busy, or slow), sliced it is a few short ones, and what the user
 * sees is updated first. A row marked again before its turn renders once.
 *
 * render(key) must render the row synchronously (the clock is read after each row): a row's cost
 * varies (a sparkline's first points create its SVG; a row not mounted costs nothing), so no
 * estimate per row bounds a frame; the clock does.
 */
export function createRowSlicer(render: (key: string) => void, budgetMs: number, timers: SliceTimers = browserSliceTimers) {
  const visible = new Set<string>();
  const onScreen = new Set<string>();
  const offScreen = new Set<string>();
  let frame: unknown = null;
  let disposed = false;

  const schedule = () => {
    if (frame === null && !disposed && (onScreen.size > 0 || offScreen.size > 0)) frame = timers.requestFrame(run);
  };
  const run = () => {
    frame = null;
    const start = timers.now();
    const elapsed = () => timers.now() - start;
    const share = Math.max(MIN_SLICE, Math.ceil(offScreen.size / DRAIN_FRAMES));
    try {
      for (const key of onScreen) {
        onScreen.delete(key);
        render(key);
        if (elapsed() >= MAX_SLICE_MS) return;
      }
      let taken = 0;
      for (const key of offScreen) {
        if (taken >= share && elapsed() >= budgetMs) break;
        offScreen.delete(key);
        render(key);
        taken++;
        if (taken >= MIN_SLICE && elapsed() >= MAX_SLICE_MS) break;
      }
    } finally {
      // Even if a render threw: the slicer carries on with the next frame.
      schedule();
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

export interface TaskTimers {
  now(): number;
  /** Runs fn in a task of its own, soon (after what is queued: input, a frame that is due). */
  post(fn: () => void): unknown;
  cancel(handle: unknown): void;
  /** Nothing more will be posted. */
  close?(): void;
}

/** A task of its own without setTimeout's clamping: a message to itself. */
function browserTaskTimers(): TaskTimers {
  const channel = new MessageChannel();
  const queue = new Map<number, () => void>();
  let next = 0;
  channel.port1.onmessage = (e: MessageEvent<number>) => {
    const fn = queue.get(e.data);
    queue.delete(e.data);
    fn?.();
  };
  return {
    now: () => performance.now(),
    post: (fn) => {
      const id = next++;
      queue.set(id, fn);
      channel.port2.postMessage(id);
      return id;
    },
    cancel: (h) => queue.delete(h as number),
    close: () => {
      channel.port1.close();
      queue.clear();
    },
  };
}

/**
 * Mounts a long list (the overview's table blocks) a part per task, bounded by the clock: the
 * first ones at once (what is on screen when the page opens), then in each task one more at a
 * time while the task has taken less than budgetMs (one at least). With a thousand paths,
 * mounting every row at once was one task of 75–100 ms of CPU, paid on every navigation to the
 * overview; in parts, each task is short and the browser paints, takes input and applies live
 * updates between them. Tasks, not animation frames: the list is complete as soon as the machine
 * has done the work (a busy machine gives few frames), and the rows that arrive off screen cost
 * no layout (content-visibility). show(n) renders the first n, synchronously.
 */
export function createMountSlicer(show: (count: number) => void, budgetMs: number, initial: number, timers?: TaskTimers) {
  const t = timers ?? browserTaskTimers();
  let total = 0;
  let shown = initial;
  let task: unknown = null;
  let disposed = false;

  const schedule = () => {
    if (task === null && !disposed && shown < total) task = t.post(run);
  };
  const run = () => {
    task = null;
    const start = t.now();
    try {
      do show(++shown);
      while (shown < total && !disposed && t.now() - start < budgetMs);
    } finally {
      schedule();
    }
  };

  return {
    /** How many items to render now (never more than there are). */
    get shown(): number {
      return Math.min(shown, total);
    },
    /** The list's length (it may change: items mounted stay mounted, new ones follow a part per task). */
    setTotal(count: number): void {
      total = count;
      schedule();
    },
    dispose(): void {
      disposed = true;
      if (task !== null) t.cancel(task);
      task = null;
      t.close?.();
    },
  };
}
