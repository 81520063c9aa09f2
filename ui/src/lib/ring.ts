/**
 * A bounded series of recent numbers (a sparkline's points) in a fixed typed array, oldest
 * first: push overwrites the oldest once it is full. A thousand paths updated every second add a
 * thousand points a second without allocating (an array with splice made a removed-items array
 * per update, and the array's elements were heap numbers of their own).
 */
export class Ring {
  private readonly values: Float64Array;
  /** Index of the oldest value in values. */
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Ring capacity must be a positive integer, got ${capacity}`);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends value, dropping the oldest when full. */
  push(value: number): void {
    if (this.count < this.capacity) {
      this.values[(this.start + this.count) % this.capacity] = value;
      this.count++;
    } else {
      this.values[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th value, oldest first (0 ≤ i < length). */
  at(i: number): number {
    if (i < 0 || i >= this.count) throw new RangeError(`Ring index ${i} outside 0..${this.count - 1}`);
    return this.values[(this.start + i) % this.capacity];
  }

  /** The smallest and largest values (NaN for both when empty), without allocating. */
  min(): number {
    let m = this.count ? Infinity : NaN;
    for (let i = 0; i < this.count; i++) m = Math.min(m, this.values[(this.start + i) % this.capacity]);
    return m;
  }

  max(): number {
    let m = this.count ? -Infinity : NaN;
    for (let i = 0; i < this.count; i++) m = Math.max(m, this.values[(this.start + i) % this.capacity]);
    return m;
  }

  /** A copy, oldest first (tests and the slow paths). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.values[(this.start + i) % this.capacity]);
    return out;
  }
}
