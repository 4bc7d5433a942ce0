/**
 * When a rollback may stop WindowPoSt: the stretches in which no deadline holding live sectors is open and still
 * unproven. A deadline that opens while nothing proves is missed: its sectors turn faulty and pay a fee. Pure: chain
 * facts in, windows out (epochs; times from the head).
 */

/** One deadline as the plan needs it: its next occurrence that has not closed, and what it holds. */
export interface DeadlineFact {
  index: number;
  open: number;
  close: number;
  state: 'passed' | 'open' | 'upcoming';
  liveSectors: number;
  /** Partitions the open deadline must prove, and how many it has proven (only for the open one). */
  partitionsToProve: number;
  partitionsProven: number;
}

export interface ChainClock {
  headEpoch: number;
  headMs: number;
  blockDelayMs: number;
}

export interface SafeWindow {
  start: number;
  end: number;
  /** The deadline whose opening ends the window (undefined when none holds sectors). */
  endsAtDeadline: number | undefined;
}

export interface WindowVerdict {
  /** Stretches of at least the minimum, in the horizon, first first. */
  windows: SafeWindow[];
  /** Now is inside a window with at least the minimum left. */
  now: SafeWindow | undefined;
  /** The open deadline: its index, sectors, and whether every partition with sectors to prove is proven. */
  current: { index: number; liveSectors: number; proven: boolean; unprovenPartitions: number } | undefined;
  /** Deadlines with live sectors opening within the minimum from now: what is at stake if it is done now. */
  atStake: Array<{ index: number; open: number; liveSectors: number }>;
}

export const HORIZON_EPOCHS = 2880;

export function epochToMs(clock: ChainClock, epoch: number): number {
  return clock.headMs + (epoch - clock.headEpoch) * clock.blockDelayMs;
}

/**
 * The windows from `epoch` over the next `horizonEpochs` (a day): gaps of at least `minEpochs` between the windows of
 * deadlines with live sectors. The open deadline's own window does not count as busy once all its partitions are
 * proven. Occurrences repeat every proving period.
 */
export function safeWindows(
  deadlines: readonly DeadlineFact[],
  epoch: number,
  minEpochs: number,
  provingPeriod = 2880,
  horizonEpochs = HORIZON_EPOCHS,
): WindowVerdict {
  const busy: Array<{ open: number; close: number; index: number }> = [];
  const open = deadlines.find((d) => d.state === 'open');
  for (const d of deadlines) {
    if (d.liveSectors === 0) continue;
    for (let k = 0; k <= Math.ceil(horizonEpochs / provingPeriod) + 1; k++) {
      const occurrence = { open: d.open + k * provingPeriod, close: d.close + k * provingPeriod, index: d.index };
      const provenNow = k === 0 && d.state === 'open' && d.partitionsProven >= d.partitionsToProve;
      if (!provenNow) busy.push(occurrence);
    }
  }
  busy.sort((a, b) => a.open - b.open);
  const windows: SafeWindow[] = [];
  let cursor = epoch;
  const limit = epoch + horizonEpochs;
  for (const b of busy) {
    if (b.close <= cursor) continue;
    if (b.open > cursor && b.open - cursor >= minEpochs && cursor < limit)
      windows.push({ start: cursor, end: b.open, endsAtDeadline: b.index });
    cursor = Math.max(cursor, b.close);
  }
  if (busy.length === 0) windows.push({ start: epoch, end: limit, endsAtDeadline: undefined });
  const first = windows[0];
  const now = first && first.start <= epoch && first.end - epoch >= minEpochs ? first : undefined;
  const current = open
    ? {
        index: open.index,
        liveSectors: open.liveSectors,
        proven: open.partitionsProven >= open.partitionsToProve,
        unprovenPartitions: Math.max(0, open.partitionsToProve - open.partitionsProven),
      }
    : undefined;
  const atStake = busy
    .filter((b) => b.close > epoch && b.open < epoch + minEpochs)
    .map((b) => ({
      index: b.index,
      open: b.open,
      liveSectors: deadlines.find((d) => d.index === b.index)?.liveSectors ?? 0,
    }));
  return { windows, now, current, atStake };
}
