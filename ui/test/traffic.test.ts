import { describe, expect, it } from 'vitest';
import { formatBitRate, formatBytes, ratePerSecond } from '../src/lib/traffic';

describe('ratePerSecond', () => {
  const prev = { bytes: 1000, packets: 10, at: 0 };
  it.each([
    ['5 s apart', prev, { bytes: 6000, packets: 20, at: 5000 }, 'bytes', 1000],
    ['packets', prev, { bytes: 6000, packets: 20, at: 5000 }, 'packets', 2],
    ['first sample', undefined, { bytes: 6000, packets: 20, at: 5000 }, 'bytes', null],
    ['not counted', prev, { bytes: null, packets: null, at: 5000 }, 'bytes', null],
    ['counter went back (restart)', prev, { bytes: 10, packets: 1, at: 5000 }, 'bytes', null],
    ['same instant', prev, { bytes: 2000, packets: 11, at: 0 }, 'bytes', null],
  ] as const)('%s', (_name, a, b, field, rate) => {
    expect(ratePerSecond(a, b, field)).toBe(rate);
  });
});

describe('formats', () => {
  it.each([[null, '–'], [0, '0 B'], [999, '999 B'], [1500, '1.5 kB'], [2_500_000, '2.5 MB']])('bytes %s', (v, text) => {
    expect(formatBytes(v)).toBe(text);
  });
  it.each([[null, '–'], [100, '800 bit/s'], [125_000, '1.0 Mbit/s'], [1_250_000_000, '10.0 Gbit/s']])('rate %s', (v, text) => {
    expect(formatBitRate(v)).toBe(text);
  });
});
