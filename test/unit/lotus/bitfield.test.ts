import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  Bitfield,
  BitfieldError,
  countRuns,
  encodeRuns,
  expandRuns,
  validateRuns,
} from '../../../src/lotus/bitfield.js';

const sectorSet = fc.uniqueArray(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 });
/** Valid runs as lotus writes them: a first run that may be 0, then positive runs. */
const validRuns = fc
  .tuple(fc.integer({ min: 0, max: 50 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }))
  .map(([first, rest]) => [first, ...rest]);

describe('go-bitfield RLE runs', () => {
  test('the documented example {0,1,2,8,9} encodes as [0,3,5,2] and back', () => {
    expect(encodeRuns([9, 0, 2, 1, 8, 8])).toEqual([0, 3, 5, 2]);
    expect(expandRuns([0, 3, 5, 2])).toEqual([0, 1, 2, 8, 9]);
  });

  test('a single bit 5 is [5,1], and the empty set is [0] (null and [] also read as empty)', () => {
    expect(encodeRuns([5])).toEqual([5, 1]);
    expect(encodeRuns([])).toEqual([0]);
    expect(expandRuns(null)).toEqual([]);
    expect(expandRuns([])).toEqual([]);
    expect(countRuns(null)).toBe(0);
  });

  test('a zero-length run anywhere but the start is rejected, as lotus rejects it', () => {
    expect(validateRuns([0, 3])).toBeUndefined();
    expect(validateRuns([3, 0, 2])).toMatch(/run 1 has length 0/);
    expect(validateRuns([1, -1])).toMatch(/not a non-negative integer/);
    expect(validateRuns([1.5])).toMatch(/not a non-negative integer/);
    expect(validateRuns('[5,1]')).toMatch(/must be an array/);
    expect(() => Bitfield.fromRuns([2, 1, 0, 1])).toThrow(BitfieldError);
  });

  test('150,000 contiguous sectors stay two runs and count without expanding', () => {
    const all = Bitfield.fromRange(1, 150_001);
    expect(all.toRuns()).toEqual([1, 150_000]);
    expect(countRuns(all.toRuns())).toBe(150_000);
    expect(all.slice(1000, 120).toRuns()).toEqual([1001, 120]);
  });

  test.prop([sectorSet])('encode then expand gives the sorted set back', (values) => {
    expect(expandRuns(encodeRuns(values))).toEqual([...values].sort((a, b) => a - b));
  });

  test.prop([validRuns])('decode then encode gives the same runs, minus a trailing zero run', (runs) => {
    const expected = runs.length % 2 === 1 && runs.length > 1 ? runs.slice(0, -1) : runs;
    const normalised = countRuns(runs) === 0 ? [0] : expected;
    expect(Bitfield.fromRuns(runs).toRuns()).toEqual(normalised);
  });

  test.prop([validRuns])('the count from runs equals the number of expanded bits', (runs) => {
    expect(countRuns(runs)).toBe(expandRuns(runs).length);
  });

  test.prop([sectorSet])('encoded runs always pass lotus validation and start with a zero run', (values) => {
    const runs = encodeRuns(values);
    expect(validateRuns(runs)).toBeUndefined();
    expect(runs.length % 2 === 0 || runs.length === 1).toBe(true);
  });

  test.prop([sectorSet, sectorSet])('union, intersection and difference agree with plain sets', (a, b) => {
    const A = Bitfield.fromSet(a);
    const B = Bitfield.fromSet(b);
    const setB = new Set(b);
    const sorted = (xs: Iterable<number>) => [...xs].sort((x, y) => x - y);
    expect(A.union(B).toArray()).toEqual(sorted(new Set([...a, ...b])));
    expect(A.intersect(B).toArray()).toEqual(sorted(a.filter((x) => setB.has(x))));
    expect(A.subtract(B).toArray()).toEqual(sorted(a.filter((x) => !setB.has(x))));
    expect(A.union(B).count()).toBe(new Set([...a, ...b]).size);
  });

  test.prop([sectorSet, fc.nat(400), fc.nat(400)])('slice takes members by rank', (values, offset, count) => {
    const sorted = [...values].sort((x, y) => x - y);
    expect(Bitfield.fromSet(values).slice(offset, count).toArray()).toEqual(sorted.slice(offset, offset + count));
  });

  test.prop([sectorSet, fc.integer({ min: 0, max: 5_001 })])('has agrees with membership', (values, probe) => {
    expect(Bitfield.fromSet(values).has(probe)).toBe(values.includes(probe));
  });
});
