import { describe, expect, it } from 'vitest';
import { type DeadlineFact, safeWindows } from '../../../src/rollback/safe-window.js';

/** 48 deadlines of 60 epochs from period start 0, at `epoch`, with live sectors where `live` says. */
function deadlines(epoch: number, live: (index: number) => number, proven = 0): DeadlineFact[] {
  return Array.from({ length: 48 }, (_, index) => {
    const open = index * 60;
    const state = open + 60 <= epoch ? 'passed' : open <= epoch ? 'open' : 'upcoming';
    const next = state === 'passed' ? open + 2880 : open;
    return {
      index,
      open: next,
      close: next + 60,
      state,
      liveSectors: live(index),
      partitionsToProve: live(index) > 0 ? 2 : 0,
      partitionsProven: state === 'open' ? proven : 0,
    };
  });
}

describe('safe windows for a rollback', () => {
  it('given an empty deadline open now and 30 minutes asked, then now is a window until the next deadline opens', () => {
    const verdict = safeWindows(
      deadlines(23 * 60, (i) => (i === 23 ? 0 : 100)),
      23 * 60,
      60,
    );
    expect(verdict.now).toEqual({ start: 1380, end: 1440, endsAtDeadline: 24 });
    expect(verdict.current).toMatchObject({ index: 23, liveSectors: 0 });
  });

  it('given every deadline holding sectors, then there is no window in the next 24 hours', () => {
    const verdict = safeWindows(
      deadlines(100, () => 5),
      100,
      60,
    );
    expect(verdict.windows).toEqual([]);
    expect(verdict.now).toBeUndefined();
    expect(verdict.atStake.map((d) => d.index)).toEqual([1, 2]);
  });

  it('given the open deadline with sectors not yet proven, then now is not safe and the first window is the next empty one', () => {
    const verdict = safeWindows(
      deadlines(10 * 60 + 5, (i) => (i === 11 ? 0 : 7)),
      10 * 60 + 5,
      60,
    );
    expect(verdict.now).toBeUndefined();
    expect(verdict.current).toMatchObject({ index: 10, proven: false, unprovenPartitions: 2 });
    expect(verdict.windows[0]).toEqual({ start: 660, end: 720, endsAtDeadline: 12 });
  });

  it('given the open deadline already proven and the next one empty, then the window starts now', () => {
    const epoch = 10 * 60 + 30;
    const verdict = safeWindows(
      deadlines(epoch, (i) => (i === 11 ? 0 : 7), 2),
      epoch,
      60,
    );
    expect(verdict.current?.proven).toBe(true);
    expect(verdict.now).toEqual({ start: epoch, end: 720, endsAtDeadline: 12 });
  });

  it('given a gap shorter than asked, then it is not a window', () => {
    const verdict = safeWindows(
      deadlines(23 * 60, (i) => (i === 23 ? 0 : 1)),
      23 * 60,
      90,
    );
    expect(verdict.windows).toEqual([]);
  });
});
