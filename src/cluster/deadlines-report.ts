import { relativeTime as relative } from '../core/duration.js';
import { countRuns, expandRuns } from '../lotus/bitfield.js';
import { ChainTime } from '../lotus/chain-time.js';
import { type DeadlineInfo, type DeadlineWindow, deadlineSchedule } from '../lotus/deadline-math.js';
import type { FullNodeApi } from '../lotus/full-node-api.js';
import type { Partition, TipSetKey } from '../lotus/schemas.js';

/** Late in the window: after this many of the 60 epochs (20 min), an unproven partition is at risk. */
export const LATE_IN_WINDOW_EPOCHS = 40;

export interface PartitionCounts {
  index: number;
  all: number;
  live: number;
  active: number;
  faulty: number;
  recovering: number;
  /** Live and not faulty, or declared recovering: what the next proof must cover. */
  toProve: number;
  /** Only for the open deadline: whether a proof for it has landed. */
  proven?: boolean;
}

export interface DeadlineRow {
  index: number;
  state: 'passed' | 'open' | 'upcoming';
  /** The next occurrence that has not closed (this one, while open). */
  next: DeadlineWindow;
  partitions: PartitionCounts[];
  /** Partitions with live sectors, as `proving deadlines` counts them. */
  activePartitions: number;
  allSectors: number;
  liveSectors: number;
  faults: number;
  recoveries: number;
  /** Only for the open deadline. */
  provenPartitions?: number;
}

export interface DeadlinesReport {
  actor: string;
  epoch: number;
  /** Wall-clock time of the pinned head, and of the report. */
  headTime: number;
  now: number;
  info: DeadlineInfo;
  chainTime: ChainTime;
  rows: DeadlineRow[];
  totals: { live: number; active: number; faults: number; recoveries: number; all: number };
  current: DeadlineRow;
}

/**
 * Every number of `/deadlines`, read at ONE pinned tipset: the head is taken once, and the proving deadline, the 48
 * deadlines and their partitions are read at its key in a single HTTP batch, so the table never mixes two heads
 * and costs two round trips instead of the CLI's 51 sequential ones.
 */
export async function buildDeadlinesReport(api: FullNodeApi, actor: string, now: number): Promise<DeadlinesReport> {
  const head = await api.chainHead();
  const tsk: TipSetKey = head.Cids;
  const provingDeadline = api.request('StateMinerProvingDeadline', [actor, tsk]);
  const deadlines = api.request('StateMinerDeadlines', [actor, tsk]);
  const partitionRequests = Array.from({ length: 48 }, (_, i) => api.request('StateMinerPartitions', [actor, i, tsk]));
  const [infoResult, deadlinesResult, ...partitionResults] = await api.rpc.batch([
    provingDeadline,
    deadlines,
    ...partitionRequests,
  ] as const);
  const info = unwrap(infoResult) as DeadlineInfo;
  const deadlineList = unwrap(deadlinesResult) as Array<{ PostSubmissions: number[] | null }>;
  const partitions = partitionResults.map((r) => unwrap(r) as Partition[]);
  return assembleReport({ actor, info, deadlineList, partitions, head, now });
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Pure: the report from what lotus answered. Separate so that it can be tested on hand-made answers. */
export function assembleReport(input: {
  actor: string;
  info: DeadlineInfo;
  deadlineList: Array<{ PostSubmissions: number[] | null }>;
  partitions: Partition[][];
  head: { Height: number; Blocks: ReadonlyArray<{ Timestamp: number }> };
  now: number;
}): DeadlinesReport {
  const { info, deadlineList, partitions, head } = input;
  const chainTime = ChainTime.fromHead(head);
  const schedule = deadlineSchedule(info);
  const rows: DeadlineRow[] = schedule.map((times) => {
    const parts = (partitions[times.index] ?? []).map((p, index): PartitionCounts => {
      const live = countRuns(p.LiveSectors);
      const faulty = countRuns(p.FaultySectors);
      const recovering = countRuns(p.RecoveringSectors);
      return {
        index,
        all: countRuns(p.AllSectors),
        live,
        active: countRuns(p.ActiveSectors),
        faulty,
        recovering,
        toProve: Math.max(0, live - faulty) + recovering,
      };
    });
    const row: DeadlineRow = {
      index: times.index,
      state: times.state,
      next: times.next,
      partitions: parts,
      activePartitions: parts.filter((p) => p.live > 0).length,
      allSectors: sum(parts.map((p) => p.all)),
      liveSectors: sum(parts.map((p) => p.live)),
      faults: sum(parts.map((p) => p.faulty)),
      recoveries: sum(parts.map((p) => p.recovering)),
    };
    if (times.state === 'open') {
      // PostSubmissions only means something for the open deadline: the actor clears it when a deadline closes.
      // It holds partition indexes, a few dozen at most: safe to expand.
      const submitted = new Set(expandRuns(deadlineList[times.index]?.PostSubmissions ?? null));
      for (const p of parts) p.proven = submitted.has(p.index);
      row.provenPartitions = parts.filter((p) => p.proven).length;
    }
    return row;
  });
  const current = rows[info.Index] as DeadlineRow;
  return {
    actor: input.actor,
    epoch: info.CurrentEpoch,
    headTime: chainTime.epochToMs(head.Height),
    now: input.now,
    info,
    chainTime,
    rows,
    current,
    totals: {
      live: sum(rows.map((r) => r.liveSectors)),
      active: sum(rows.map((r) => sum(r.partitions.map((p) => p.active)))),
      faults: sum(rows.map((r) => r.faults)),
      recoveries: sum(rows.map((r) => r.recoveries)),
      all: sum(rows.map((r) => r.allSectors)),
    },
  };
}

export type Verdict = { severity: 'info' | 'success' | 'warning' | 'error'; text: string };

/** Faults per deadline as an earlier /deadlines saw them, so that this one can say which are new. */
export interface EarlierFaults {
  at: number;
  epoch: number;
  faults: number[];
}

/** Faults per deadline, to remember for the next look. */
export function faultsByDeadline(report: DeadlinesReport): number[] {
  return report.rows.map((r) => r.faults);
}

/** What is at risk now, most urgent first: the lines that matter more than the table. */
export function verdicts(report: DeadlinesReport, earlier?: EarlierFaults): Verdict[] {
  const out: Verdict[] = [];
  const { info, current, chainTime } = report;
  const at = (epoch: number) => chainTime.epochToMs(epoch);
  const clock = (epoch: number) => utcClock(at(epoch));

  if (report.totals.live === 0) {
    return [{ severity: 'info', text: 'No live sectors: this miner has nothing to prove.' }];
  }

  const toProve = current.partitions.filter((p) => p.toProve > 0);
  const unproven = toProve.filter((p) => !p.proven);
  const elapsed = info.CurrentEpoch - info.Open;
  const closesIn = relative(at(info.Close), report.now);
  if (toProve.length === 0) {
    out.push({ severity: 'info', text: `Deadline ${current.index} open with nothing to prove; closes ${closesIn}.` });
  } else if (unproven.length === 0) {
    out.push({
      severity: 'success',
      text: `Deadline ${current.index} open: all ${toProve.length} partition(s) proven; closes ${closesIn}.`,
    });
  } else {
    const late = elapsed >= LATE_IN_WINDOW_EPOCHS;
    const sectors = sum(unproven.map((p) => p.toProve));
    out.push({
      severity: late ? 'error' : 'info',
      text:
        `Deadline ${current.index} open, ${toProve.length - unproven.length} of ${toProve.length} partitions proven, closes ${closesIn}` +
        (late
          ? ` (${clock(info.Close)}). At risk: partition(s) ${unproven.map((p) => p.index).join(', ')} with ${sectors} sectors are not proven this late in the window; check the window-post miner now.`
          : '.'),
    });
  }

  // Faults not declared recovering: each needs a recovery declaration before its deadline's next fault cutoff.
  const faulty = report.rows
    .filter((r) => r.faults - r.recoveries > 0)
    .sort((a, b) => a.next.faultCutoff - b.next.faultCutoff);
  for (const row of faulty) {
    const undeclared = row.faults - row.recoveries;
    const cutoffPassed = row.next.faultCutoff <= info.CurrentEpoch;
    // New since the last look: a proof just missed, or a disk just lost. Said first, because it is news.
    const added = earlier === undefined ? 0 : row.faults - (earlier.faults[row.index] ?? 0);
    const what =
      added > 0
        ? `New faults in deadline ${row.index} (${added} sectors since the last look, ${relative(earlier?.at ?? report.now, report.now)}; ${undeclared} not declared recovering)`
        : `Faults in deadline ${row.index} (${undeclared} sectors not declared recovering)`;
    out.push({
      severity: 'warning',
      text: cutoffPassed
        ? `${what}; its fault cutoff has passed for this window, the next chance is before ${clock(row.next.faultCutoff + info.WPoStProvingPeriod)}.`
        : `${what}; declare recovery before its fault cutoff at ${clock(row.next.faultCutoff)} (${relative(at(row.next.faultCutoff), report.now)}).`,
    });
  }
  out.sort((a, b) => Number(b.text.startsWith('New faults')) - Number(a.text.startsWith('New faults')));
  for (const row of report.rows.filter((r) => r.recoveries > 0)) {
    out.push({
      severity: 'info',
      text: `Deadline ${row.index}: ${row.recoveries} sector(s) declared recovering; they are proven when it opens at ${clock(row.next.open)} (${relative(at(row.next.open), report.now)}).`,
    });
  }
  const upcoming = report.rows
    .filter((r) => r.state === 'upcoming' && r.liveSectors > 0)
    .sort((a, b) => a.next.open - b.next.open)[0];
  if (upcoming) {
    out.push({
      severity: 'info',
      text: `Next deadline with sectors: ${upcoming.index} opens at ${clock(upcoming.next.open)} (${relative(at(upcoming.next.open), report.now)}), ${upcoming.liveSectors} sectors in ${upcoming.activePartitions} partition(s).`,
    });
  }
  return out;
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export function utcClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

export function utcDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
