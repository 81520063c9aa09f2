/** One counter sample: cumulative bytes and packets (null: not counted), and when it was read (unix ms). */
export interface CounterSample { bytes: number | null; packets: number | null; at: number }

/** A rate between two samples of one cumulative counter, per second; null without two counts or when the counter went back (a restart). */
export function ratePerSecond(prev: CounterSample | undefined, next: CounterSample, field: 'bytes' | 'packets'): number | null {
  const a = prev?.[field];
  const b = next[field];
  if (prev === undefined || a == null || b == null || b < a) return null;
  const seconds = (next.at - prev.at) / 1000;
  return seconds > 0 ? (b - a) / seconds : null;
}

/** 1.2 kB, 3.4 MB … (decimal, as network rates are said); bits per second for rates. */
export function formatBytes(value: number | null): string {
  if (value == null) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = value;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatBitRate(bytesPerSecond: number | null): string {
  if (bytesPerSecond == null) return '–';
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
  let v = bytesPerSecond * 8;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
