/**
 * go-bitfield's JSON form: an array of run lengths that alternate, starting with a run of zeros (which may be 0
 * long). `[0,3,5,2]` = {0,1,2,8,9}; `[5,1]` = {5}; `[0]` (or `null`, or `[]`) = empty.
 *
 * Sector sets of a 150k-sector miner are a handful of runs but 150k members, so everything here works on runs or
 * on sorted disjoint ranges and only `values()`/`toArray()` ever expand.
 */

/** Why lotus would reject these runs, or undefined when they are valid. `null` is the empty set. */
export function validateRuns(runs: unknown): string | undefined {
  if (runs === null) return undefined;
  if (!Array.isArray(runs)) return 'a bitfield must be an array of run lengths';
  let total = 0;
  for (let i = 0; i < runs.length; i++) {
    const run: unknown = runs[i];
    if (typeof run !== 'number' || !Number.isSafeInteger(run) || run < 0) {
      return `run ${i} is not a non-negative integer`;
    }
    // go-bitfield: "Cannot have a zero-length run except at start".
    if (run === 0 && i > 0) return `run ${i} has length 0; only the first run may be empty`;
    total += run;
    if (!Number.isSafeInteger(total)) return 'the bitfield is longer than 2^53 bits';
  }
  return undefined;
}

/** Number of set bits, straight from the runs (sum of the odd-indexed runs), without expanding. */
export function countRuns(runs: readonly number[] | null): number {
  if (runs === null) return 0;
  let count = 0;
  for (let i = 1; i < runs.length; i += 2) count += runs[i] ?? 0;
  return count;
}

/** Every set bit, ascending. Expands: fine for small sets, avoid for whole-miner sets. */
export function expandRuns(runs: readonly number[] | null): number[] {
  return Bitfield.fromRuns(runs).toArray();
}

/** Runs for a set of bit positions (any order, duplicates allowed). */
export function encodeRuns(values: Iterable<number>): number[] {
  return Bitfield.fromSet(values).toRuns();
}

export class BitfieldError extends Error {
  override readonly name = 'BitfieldError';
}

/** An immutable set of non-negative integers kept as sorted, disjoint, non-adjacent half-open ranges. */
export class Bitfield {
  static readonly empty = new Bitfield([]);

  /** Flat [start0, end0, start1, end1, …], ends exclusive, strictly increasing, no two ranges touching. */
  private readonly bounds: readonly number[];

  private constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  static fromRuns(runs: readonly number[] | null): Bitfield {
    const problem = validateRuns(runs);
    if (problem !== undefined) throw new BitfieldError(problem);
    if (runs === null) return Bitfield.empty;
    const bounds: number[] = [];
    let pos = 0;
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] ?? 0;
      if (i % 2 === 1 && run > 0) bounds.push(pos, pos + run);
      pos += run;
    }
    return new Bitfield(bounds);
  }

  static fromSet(values: Iterable<number>): Bitfield {
    const sorted = Float64Array.from(values);
    for (const v of sorted) {
      if (!Number.isSafeInteger(v) || v < 0) throw new BitfieldError(`${v} is not a non-negative integer`);
    }
    sorted.sort();
    const bounds: number[] = [];
    for (const v of sorted) {
      const last = bounds.length - 1;
      if (last >= 0 && v < (bounds[last] ?? 0)) continue;
      if (last >= 0 && v === bounds[last]) bounds[last] = v + 1;
      else bounds.push(v, v + 1);
    }
    return new Bitfield(bounds);
  }

  /** The half-open range [start, end). */
  static fromRange(start: number, end: number): Bitfield {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new BitfieldError(`[${start}, ${end}) is not a range of non-negative integers`);
    }
    return end === start ? Bitfield.empty : new Bitfield([start, end]);
  }

  /** Union of half-open ranges, in any order, overlapping or not. */
  static fromRanges(ranges: Iterable<readonly [number, number]>): Bitfield {
    let out = Bitfield.empty;
    for (const [start, end] of ranges) out = out.union(Bitfield.fromRange(start, end));
    return out;
  }

  isEmpty(): boolean {
    return this.bounds.length === 0;
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.bounds.length; i += 2) n += (this.bounds[i + 1] ?? 0) - (this.bounds[i] ?? 0);
    return n;
  }

  has(value: number): boolean {
    let lo = 0;
    let hi = this.bounds.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = this.bounds[2 * mid] ?? 0;
      const end = this.bounds[2 * mid + 1] ?? 0;
      if (value < start) hi = mid - 1;
      else if (value >= end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Lowest member, or undefined when empty. */
  first(): number | undefined {
    return this.bounds[0];
  }

  /** Highest member, or undefined when empty. */
  last(): number | undefined {
    const end = this.bounds[this.bounds.length - 1];
    return end === undefined ? undefined : end - 1;
  }

  /** The members ranked [offset, offset + count) in ascending order, as a bitfield (no expansion). */
  slice(offset: number, count: number): Bitfield {
    const bounds: number[] = [];
    let skip = Math.max(0, offset);
    let take = Math.max(0, count);
    for (let i = 0; i < this.bounds.length && take > 0; i += 2) {
      const start = this.bounds[i] ?? 0;
      const end = this.bounds[i + 1] ?? 0;
      const len = end - start;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const from = start + skip;
      const to = Math.min(end, from + take);
      bounds.push(from, to);
      take -= to - from;
      skip = 0;
    }
    return new Bitfield(bounds);
  }

  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.bounds.length; i += 2) out.push([this.bounds[i] ?? 0, this.bounds[i + 1] ?? 0]);
    return out;
  }

  *values(): IterableIterator<number> {
    for (let i = 0; i < this.bounds.length; i += 2) {
      const end = this.bounds[i + 1] ?? 0;
      for (let v = this.bounds[i] ?? 0; v < end; v++) yield v;
    }
  }

  toArray(): number[] {
    return [...this.values()];
  }

  /** The JSON runs lotus sends: starts with a zero run, no trailing zero run, `[0]` when empty. */
  toRuns(): number[] {
    if (this.bounds.length === 0) return [0];
    const runs: number[] = [];
    let pos = 0;
    for (let i = 0; i < this.bounds.length; i += 2) {
      const start = this.bounds[i] ?? 0;
      const end = this.bounds[i + 1] ?? 0;
      runs.push(start - pos, end - start);
      pos = end;
    }
    return runs;
  }

  union(other: Bitfield): Bitfield {
    return this.combine(other, (a, b) => a || b);
  }

  intersect(other: Bitfield): Bitfield {
    return this.combine(other, (a, b) => a && b);
  }

  subtract(other: Bitfield): Bitfield {
    return this.combine(other, (a, b) => a && !b);
  }

  equals(other: Bitfield): boolean {
    return this.bounds.length === other.bounds.length && this.bounds.every((b, i) => b === other.bounds[i]);
  }

  /** Sweep over both boundary lists; membership flips at each boundary, so a merge of the two lists suffices. */
  private combine(other: Bitfield, keep: (inA: boolean, inB: boolean) => boolean): Bitfield {
    const a = this.bounds;
    const b = other.bounds;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    let inA = false;
    let inB = false;
    let inside = false;
    while (i < a.length || j < b.length) {
      const nextA = i < a.length ? (a[i] ?? 0) : Infinity;
      const nextB = j < b.length ? (b[j] ?? 0) : Infinity;
      const at = Math.min(nextA, nextB);
      if (nextA === at) {
        inA = !inA;
        i++;
      }
      if (nextB === at) {
        inB = !inB;
        j++;
      }
      const now = keep(inA, inB);
      if (now !== inside) {
        if (now) {
          out.push(at);
        } else if (out[out.length - 1] === at) {
          out.pop();
        } else {
          out.push(at);
        }
        inside = now;
      }
    }
    return new Bitfield(Bitfield.normalise(out));
  }

  /** Merge ranges that touch ([1,3) + [3,5) → [1,5)) so that equal sets have equal bounds. */
  private static normalise(bounds: number[]): number[] {
    const out: number[] = [];
    for (let i = 0; i < bounds.length; i += 2) {
      const start = bounds[i] ?? 0;
      const end = bounds[i + 1] ?? 0;
      if (end <= start) continue;
      if (out.length > 0 && out[out.length - 1] === start) out[out.length - 1] = end;
      else out.push(start, end);
    }
    return out;
  }
}
