export interface FrameTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  requestFrame(fn: () => void): unknown;
  cancelFrame(handle: unknown): void;
}

const browserTimers: FrameTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
  requestFrame: (fn) => requestAnimationFrame(fn),
  cancelFrame: (h) => cancelAnimationFrame(h as number),
};

/**
 * Gathers updates by key (the latest per key wins) and applies them in one batch, in an animation
 * frame, at most once per minIntervalMs: a thousand paths updating every second cost a few renders
 * a second, not sixty (or one per event), and each render lays out the rows on screen once. A
 * hidden tab (no frames) holds one entry per key, however long it stays hidden.
 */
export function createBatcher<T>(apply: (batch: T[]) => void, minIntervalMs: number, timers: FrameTimers = browserTimers) {
  let pending = new Map<string, T>();
  let timer: unknown = null;
  let frame: unknown = null;
  let last = -Infinity;
  const flush = () => {
    frame = null;
    last = timers.now();
    const batch = [...pending.values()];
    pending = new Map();
    apply(batch);
  };
  return {
    push(key: string, value: T): void {
      pending.set(key, value);
      if (timer !== null || frame !== null) return;
      const wait = last + minIntervalMs - timers.now();
      if (wait <= 0) frame = timers.requestFrame(flush);
      else timer = timers.setTimeout(() => {
        timer = null;
        frame = timers.requestFrame(flush);
      }, wait);
    },
    dispose(): void {
      if (timer !== null) timers.clearTimeout(timer);
      if (frame !== null) timers.cancelFrame(frame);
      timer = frame = null;
      pending = new Map();
    },
  };
}
