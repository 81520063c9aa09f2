import { describe, expect, it } from 'vitest';
import { Ring } from '../src/lib/ring';

describe('Ring', () => {
  it('keeps values oldest first until full', () => {
    const r = new Ring(4);
    expect(r.length).toBe(0);
    r.push(1);
    r.push(2.5);
    expect(r.length).toBe(2);
    expect(r.toArray()).toEqual([1, 2.5]);
    expect([r.at(0), r.at(1)]).toEqual([1, 2.5]);
  });

  it('drops the oldest once full, across many wraps', () => {
    const r = new Ring(3);
    const all: number[] = [];
    for (let v = 0; v < 20; v++) {
      r.push(v);
      all.push(v);
      expect(r.toArray()).toEqual(all.slice(-3));
      expect(r.length).toBe(Math.min(3, all.length));
    }
    expect(r.at(0)).toBe(17);
    expect(r.at(2)).toBe(19);
  });

  it('tells min and max of what it holds now (not of dropped values), NaN when empty', () => {
    const r = new Ring(3);
    expect(r.min()).toBeNaN();
    expect(r.max()).toBeNaN();
    for (const v of [100, -5, 7, 3, 4]) r.push(v); // holds 7, 3, 4
    expect(r.min()).toBe(3);
    expect(r.max()).toBe(7);
  });

  it('keeps a capacity of one', () => {
    const r = new Ring(1);
    r.push(1);
    r.push(2);
    expect(r.toArray()).toEqual([2]);
  });

  it('refuses indexes outside what it holds and a capacity that is not a positive integer', () => {
    const r = new Ring(2);
    r.push(1);
    expect(() => r.at(1)).toThrow(/index 1/);
    expect(() => r.at(-1)).toThrow(RangeError);
    expect(() => new Ring(0)).toThrow(/capacity must be a positive integer, got 0/);
    expect(() => new Ring(2.5)).toThrow(RangeError);
  });
});
