import { describe, expect, it } from 'vitest';
import { createBatcher, type FrameTimers } from '../src/lib/batch';

/** Manual clock: timeouts and frames run when the test advances time (a frame every 16 ms). */
function fakeTimers() {
  let now = 0;
  let queue: Array<{ at: number; fn: () => void; id: number; frame: boolean }> = [];
  let id = 0;
  const timers: FrameTimers = {
    now: () => now,
    setTimeout: (fn, ms) => (queue.push({ at: now + ms, fn, id: ++id, frame: false }), id),
    clearTimeout: (h) => { queue = queue.filter((q) => q.id !== h); },
    requestFrame: (fn) => (queue.push({ at: Math.floor(now / 16) * 16 + 16, fn, id: ++id, frame: true }), id),
    cancelFrame: (h) => { queue = queue.filter((q) => q.id !== h); },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      queue.sort((a, b) => a.at - b.at);
      const next = queue[0];
      if (!next || next.at > end) break;
      queue.shift();
      now = next.at;
      next.fn();
    }
    now = end;
  };
  return { timers, advance };
}

describe('createBatcher', () => {
  it('applies the latest value per key in the next frame, then at most once per interval', () => {
    const { timers, advance } = fakeTimers();
    const batches: string[][] = [];
    const b = createBatcher<string>((batch) => batches.push(batch), 250, timers);
    b.push('p1', 'p1@0');
    b.push('p2', 'p2@0');
    b.push('p1', 'p1@1'); // replaces p1@0
    advance(16);
    expect(batches).toEqual([['p1@1', 'p2@0']]);
    b.push('p1', 'p1@2'); // 16 ms after the last batch: waits for the interval
    advance(200);
    expect(batches).toHaveLength(1);
    advance(60); // 250 ms after the last batch, in the next frame
    expect(batches).toEqual([['p1@1', 'p2@0'], ['p1@2']]);
  });

  it('nothing pushed, nothing applied; dispose drops what is pending', () => {
    const { timers, advance } = fakeTimers();
    const batches: number[][] = [];
    const b = createBatcher<number>((batch) => batches.push(batch), 250, timers);
    advance(1000);
    expect(batches).toEqual([]);
    b.push('a', 1);
    b.dispose();
    advance(1000);
    expect(batches).toEqual([]);
  });
});
