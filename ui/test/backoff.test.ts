import { describe, expect, it } from 'vitest';
import { refreshDelayMs, retryDelayMs } from '../src/lib/backoff';

describe('retryDelayMs', () => {
  it.each([[0, 500], [1, 1000], [3, 4000], [6, 30_000], [50, 30_000]])('attempt %i waits %i ms without jitter', (attempt, ms) => {
    expect(retryDelayMs(attempt, () => 0)).toBe(ms);
  });

  it('adds at most 25 % jitter', () => {
    expect(retryDelayMs(2, () => 0.999)).toBe(Math.round(2000 + 2000 * 0.25 * 0.999));
  });
});

describe('refreshDelayMs', () => {
  it('refreshes a 15-minute token after 12 minutes', () => {
    expect(refreshDelayMs(900)).toBe(720_000);
  });

  it('keeps at least 5 s ahead of expiry, and waits at least 1 s', () => {
    expect(refreshDelayMs(20)).toBe(15_000);
    expect(refreshDelayMs(2)).toBe(1000);
  });
});
