import { describe, expect, it } from 'vitest';
import { shallowEqual } from '../src/components/Pure';

describe('shallowEqual', () => {
  const spark = [1, 2];
  it.each([
    [{ a: 1, s: spark }, { a: 1, s: spark }, true],
    [{ a: 1, s: spark }, { a: 1, s: [1, 2] }, false], // a new array is a change
    [{ a: 1 }, { a: 2 }, false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
  ])('%j vs %j', (a, b, equal) => {
    expect(shallowEqual(a, b)).toBe(equal);
  });
});
